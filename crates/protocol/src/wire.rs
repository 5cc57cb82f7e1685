//! Bounds-checked reads of fixed-width fields, so the decoders never index or slice wire
//! data directly. `Cursor` walks variable-length input (every read can be `Truncated`);
//! `Fields` reads a packet whose whole fixed size was checked once up front.

use crate::DecodeError;

/// A read position over one packet or frame. Each read checks the remaining length, so a
/// length field that lies can only produce an error, never a panic or an over-read.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes, or `Truncated` naming how many bytes the read needed in total.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end))
            .ok_or_else(|| DecodeError::Truncated {
                need: self.pos.saturating_add(n),
                have: self.buf.len(),
            })?;
        self.pos += n;
        Ok(bytes)
    }

    pub(crate) fn u16_be(&mut self) -> Result<u16, DecodeError> {
        let bytes = self.take(2)?;
        // `take(2)` returned exactly 2 bytes, so this conversion cannot fail; mapping the
        // impossible error keeps the function total without an `unwrap`.
        <[u8; 2]>::try_from(bytes)
            .map(u16::from_be_bytes)
            .map_err(|_| DecodeError::Truncated {
                need: 2,
                have: bytes.len(),
            })
    }
}

/// The packet-sized prefix of `buf` as an array, or `Truncated`. This is the only length
/// check a fixed-size packet needs; `Fields` then reads it without further error paths.
pub(crate) fn fixed<const N: usize>(buf: &[u8]) -> Result<&[u8; N], DecodeError> {
    buf.first_chunk::<N>().ok_or(DecodeError::Truncated {
        need: N,
        have: buf.len(),
    })
}

/// Sequential reads over a packet of known size `N`. Offsets depend only on the packet
/// layout, never on wire data, so with `N` known at compile time the bounds checks fold
/// away: this is what keeps a full-packet decode in the tens of nanoseconds.
#[derive(Debug)]
pub(crate) struct Fields<'a, const N: usize> {
    buf: &'a [u8; N],
    pos: usize,
}

impl<'a, const N: usize> Fields<'a, N> {
    pub(crate) fn new(buf: &'a [u8; N]) -> Self {
        Fields { buf, pos: 0 }
    }

    #[inline(always)]
    fn array<const K: usize>(&mut self) -> [u8; K] {
        let start = self.pos;
        self.pos = start + K;
        // Reading past N would be a layout bug in this crate (the round-trip tests cover
        // every layout), not something wire data can cause. Release builds read zeros
        // rather than panic.
        debug_assert!(self.pos <= N, "packet layout reads past its {N} bytes");
        self.buf
            .get(start..self.pos)
            .and_then(|s| <[u8; K]>::try_from(s).ok())
            .unwrap_or([0; K])
    }

    pub(crate) fn skip<const K: usize>(&mut self) {
        self.array::<K>();
    }

    pub(crate) fn u8(&mut self) -> u8 {
        let [b] = self.array::<1>();
        b
    }

    pub(crate) fn u16_le(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    pub(crate) fn u32_le(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// Bit-exact: NaN payloads and signed zeros survive.
    pub(crate) fn f32_le(&mut self) -> f32 {
        f32::from_le_bytes(self.array())
    }

    pub(crate) fn u16_be(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }

    pub(crate) fn u32_be(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_advance_and_stop_at_the_end() {
        let mut c = Cursor::new(&[1, 2, 0, 0, 0, 0xff]);
        assert_eq!(c.u16_be(), Ok(0x0102));
        assert_eq!(c.take(3), Ok(&[0u8, 0, 0][..]));
        assert_eq!(c.remaining(), 1);
        assert_eq!(c.u16_be(), Err(DecodeError::Truncated { need: 7, have: 6 }));
        // A failed read does not move the cursor.
        assert_eq!(c.take(1), Ok(&[0xffu8][..]));
        assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn fixed_checks_the_length_once() {
        let bytes = [1u8, 0, 2, 0, 0, 0, 9];
        assert_eq!(
            fixed::<8>(&bytes),
            Err(DecodeError::Truncated { need: 8, have: 7 })
        );
        let packet = fixed::<7>(&bytes).expect("long enough");
        let mut f = Fields::new(packet);
        assert_eq!(f.u8(), 1);
        f.skip::<1>();
        assert_eq!(f.u32_le(), 2);
        assert_eq!(f.u8(), 9);
    }

    #[test]
    fn huge_take_is_an_error_not_an_overflow() {
        let mut c = Cursor::new(&[0; 4]);
        c.take(1).expect("one byte is there");
        assert!(matches!(
            c.take(usize::MAX),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
