//! Measures shared by the detectors: the kernels several detectors compute the same way, so
//! that no detector imports another.
//!
//! Pictures: cell means of the luma plane and block differences between pictures ([`cells`]),
//! their median and maximum ([`median`]), `freeze`'s and `stutter`'s means of their last pictures
//! ([`picture_means`]), one read of a picture's rows for every detector on a
//! thread ([`survey`]), the block-edge measure ([`block_edge`]), sharp steps of block borders
//! ([`grid_steps`]), the decoder's damage reports ([`decoder_damage`]) and frame timing
//! ([`frame_clock`]). Sound: sample-exact timing
//! ([`sample_clock`]), a low-pass for decimation ([`lowpass`]) and peaks piling up at a
//! ceiling ([`ceiling`]). Both: numbers rounded as
//! reported ([`round`]).
//!
//! This layer depends on `crate::media` only, never on a detector.

pub(crate) mod block_edge;
pub(crate) mod ceiling;
pub(crate) mod cells;
pub(crate) mod decoder_damage;
pub(crate) mod frame_clock;
pub(crate) mod grid_steps;
pub(crate) mod lowpass;
pub(crate) mod median;
pub(crate) mod picture_means;
pub(crate) mod round;
pub(crate) mod sample_clock;
pub(crate) mod survey;
