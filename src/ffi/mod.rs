//! The only place with FFmpeg `unsafe` code (the one other `unsafe` line in the crate is the
//! cache prefetch hint of `hint.rs`): small RAII owners around FFmpeg objects and the callbacks
//! FFmpeg calls back into (log, I/O read, interrupt).
//!
//! Every FFmpeg object is owned by exactly one wrapper around a `NonNull` whose `Drop` frees it:
//! [`FormatContext`](format::FormatContext), [`CodecContext`](codec::CodecContext),
//! [`Frame`](codec::Frame), [`Packet`](packet::Packet), [`Scaler`](scale::Scaler),
//! [`CustomIo`](io::CustomIo) (the `AVIOContext` and its buffer), [`ProtocolReader`](io::ProtocolReader)
//! (a protocol's own `AVIOContext`) and [`Dict`](dict::Dict).
//! Return codes are turned into [`FfError`] once, here; `EAGAIN` and `EOF` become variants of
//! the small outcome enums of each call and never reach the safe code.
//!
//! Nothing here is public outside the crate, and no FFmpeg type appears in the signatures the
//! rest of the crate uses.

mod audio;
mod codec;
mod dict;
mod error;
mod format;
mod init;
mod io;
mod log;
mod packet;
mod scale;
mod side_data;

pub(crate) use codec::{CodecContext, Frame, Received, Sent};
pub(crate) use dict::Dict;
pub(crate) use error::FfError;
pub(crate) use format::{Input, ReadOutcome, StreamParams};
pub(crate) use io::{CustomIo, Interrupt, ProtocolReader, Source};
pub(crate) use packet::Packet;
pub(crate) use scale::Scaler;
