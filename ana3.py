from ana2 import parse
import glob
for f in sorted(glob.glob('dbg/*.cx')):
    if 'freeze' in f: continue
    rows=parse(f)
    out=[]
    for i in range(1,len(rows)):
        if rows[i]['open'] and not rows[i-1]['open']:
            w=[r for r in rows[max(0,i-20):i] if rows[i-1]['t']-r['t']<=0.35]
            out.append('%.2f[%s]'%(rows[i-1]['t'],' '.join('%.1f%s'%(r['max'],'*' if r['hit'] else '') for r in w)))
    if out: print(f[4:-3], ' | '.join(out))
