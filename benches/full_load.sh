#!/usr/bin/env bash
# Cost of the default detector set with every core busy (issue 21 point 5). N copies of
# `monitor --threads 1` run at once on the noisy H.264 clip of compare.sh (made if missing),
# once with the default set and once as avqc's own full decode (`--full-decode --detectors
# transport`); N is 1 (the reference: one core busy) and $N (default: every core, `nproc`).
# Each copy's CPU is user + sys from /usr/bin/time; a run's figure is the mean over its copies.
# The four cases (N=1 and N=$N, decode and defaults) run interleaved, $REPS rounds (default 5),
# the order of the two sets swapped every round. Reported per resolution:
#   - the median of each case, and defaults/decode of the medians, at N=1 and at N=$N;
#   - defaults/decode paired by round (the two runs of a round at the same N): median, and
#     mean with its standard error; and of the fastest runs (host noise only ever adds time);
#   - what a busy machine adds to the detectors' cost: (ratio at N=$N) / (ratio at N=1).
# On a shared machine, compare ratios within one run, never absolute times; the load is
# printed before and after.
#   benches/full_load.sh                          720p and 1080p, N = nproc
#   RES=1920x1080 N=4 REPS=9 benches/full_load.sh
#   BASE=path/to/other/monitor benches/full_load.sh   the same cases with another build too
#                                                     (e.g. the commit before), interleaved
# Extra monitor arguments for the default-set runs go in $AVQC_ARGS.
set -euo pipefail
RESES=${RES:-"1280x720 1920x1080"}
N=${N:-$(nproc)}
AVQC_ARGS=${AVQC_ARGS:-}
BASE=${BASE:-}

# N copies of `monitor ARGS... CLIP` at once -> the mean user+sys seconds of a copy.
cpu_of_n() { # binary n clip monitor-args...
  local bin=$1 n=$2 clip=$3; shift 3
  local pids=() i
  for i in $(seq "$n"); do
    /usr/bin/time -f "%U %S" -o "$work/full_load_time_$i.txt" \
      "$bin" --threads 1 "$@" "$clip" > /dev/null 2> /dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  for i in $(seq "$n"); do cat "$work/full_load_time_$i.txt"; done |
    awk '{s += $1 + $2; k++} END {printf "%.3f\n", s / k}'
}

decode=(--full-decode --detectors transport)
echo "uptime before: $(uptime)"
for res in $RESES; do
  RES=$res
  # shellcheck source=benches/setup.sh
  source "$(dirname "$0")/setup.sh"   # the monitor, the clip of $RES, median(), REPS (5)
  runs=$work/full_load_runs_$res.txt; : > "$runs"
  builds="this"; [ -n "$BASE" ] && builds="this base"
  for round in $(seq "$REPS"); do
    sets="decode defaults"; [ $((round % 2)) = 0 ] && sets="defaults decode"
    for n in 1 "$N"; do
      for build in $builds; do
        bin=$monitor; [ "$build" = base ] && bin=$BASE
        for set in $sets; do
          if [ "$set" = decode ]; then
            echo "$round $build $n $set $(cpu_of_n "$bin" "$n" "$clip" "${decode[@]}")" >> "$runs"
          else
            # shellcheck disable=SC2086
            echo "$round $build $n $set $(cpu_of_n "$bin" "$n" "$clip" $AVQC_ARGS)" >> "$runs"
          fi
        done
      done
    done
  done
  for build in $builds; do
    for n in 1 "$N"; do
      case_of() { awk -v b="$build" -v n="$n" -v s="$1" '$2==b && $3==n && $4==s {print $5}' "$runs"; }
      c=$(case_of decode | median); d=$(case_of defaults | median)
      mc=$(case_of decode | sort -g | head -1); md=$(case_of defaults | sort -g | head -1)
      # Each round's defaults/decode at this N.
      awk -v b="$build" -v n="$n" '$2==b && $3==n {v[$1 " " $4] = $5; r[$1] = 1}
        END {for (k in r) print v[k " defaults"] / v[k " decode"]}' "$runs" > "$work/full_load_pairs.txt"
      pm=$(median < "$work/full_load_pairs.txt")
      awk -v res="$res" -v b="$build" -v n="$n" -v c="$c" -v d="$d" -v mc="$mc" -v md="$md" -v pm="$pm" -v reps="$REPS" \
        '{s += $1; q += $1 * $1; k++}
        END {m = s / k; v = (k > 1) ? (q - k * m * m) / (k - 1) : 0; se = sqrt((v > 0 ? v : 0) / k)
          printf "%-9s %-4s N=%-2d cpu s per process (median of %d): decode %.2f  defaults %.2f  defaults/decode x%.3f  fastest x%.3f  per round: median x%.3f, mean x%.3f +- %.3f\n",
            res, b, n, reps, c, d, d / c, md / mc, pm, m, se}' "$work/full_load_pairs.txt"
      echo "$pm" > "$work/full_load_ratio_${res}_${build}_$n.txt"
    done
    awk -v res="$res" -v b="$build" -v n="$N" -v a="$(cat "$work/full_load_ratio_${res}_${build}_1.txt")" \
      -v z="$(cat "$work/full_load_ratio_${res}_${build}_$N.txt")" \
      'BEGIN {printf "%-9s %-4s busy machine: per-round ratio x%.3f at N=%d against x%.3f at N=1 (x%.3f)\n", res, b, z, n, a, z / a}'
  done
done
echo "uptime after: $(uptime)"
