//! A ring buffer of recent input: delays (latency alignment of bypass and of the plain-gain
//! engine) and the history a newly installed IIR cascade warms up on.

/// Recent samples of one channel, written block by block.
#[derive(Debug, Clone)]
pub struct DelayLine {
    buf: Vec<f32>,
    /// Samples written since the last reset.
    written: usize,
}

impl DelayLine {
    /// Holds at least `capacity` past samples.
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: vec![0.0; capacity.max(1).next_power_of_two()],
            written: 0,
        }
    }

    /// Samples kept.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Silence, as after a reset.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.written = 0;
    }

    /// Appends `input`.
    pub fn write(&mut self, input: &[f32]) {
        let len = self.buf.len();
        let mut at = self.written & (len - 1);
        let mut rest = input;
        while !rest.is_empty() {
            let n = rest.len().min(len - at);
            self.buf[at..at + n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            at = 0;
        }
        self.written += input.len();
    }

    /// The last `out.len()` samples written, delayed by `delay`: `out[i]` is the sample
    /// written `delay` samples before the i-th of the last `out.len()` (silence before the
    /// start). `delay + out.len()` must not exceed the capacity; beyond it, silence.
    pub fn read_delayed(&self, delay: usize, out: &mut [f32]) {
        let len = self.buf.len();
        let n = out.len();
        if delay + n > len {
            out.fill(0.0);
            return;
        }
        for (i, y) in out.iter_mut().enumerate() {
            // Absolute time of the sample wanted; before time 0 it is silence.
            let back = n - i + delay;
            *y = if back > self.written {
                0.0
            } else {
                self.buf[(self.written - back) & (len - 1)]
            };
        }
    }

    /// The last `n` samples (at most the capacity), oldest first, as one or two slices.
    pub fn latest(&self, n: usize) -> (&[f32], &[f32]) {
        let len = self.buf.len();
        let n = n.min(len).min(self.written);
        let end = self.written & (len - 1);
        if n <= end {
            (&self.buf[end - n..end], &[])
        } else {
            (&self.buf[len - (n - end)..], &self.buf[..end])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_and_history() {
        let mut d = DelayLine::new(8);
        d.write(&[1.0, 2.0, 3.0]);
        let mut out = [0.0; 3];
        d.read_delayed(0, &mut out);
        assert_eq!(out, [1.0, 2.0, 3.0]);
        d.read_delayed(2, &mut out);
        assert_eq!(out, [0.0, 0.0, 1.0]);
        d.write(&[4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        let mut out = [0.0; 4];
        d.read_delayed(3, &mut out);
        assert_eq!(out, [3.0, 4.0, 5.0, 6.0]);
        let (a, b) = d.latest(5);
        let joined: Vec<f32> = a.iter().chain(b).copied().collect();
        assert_eq!(joined, vec![5.0, 6.0, 7.0, 8.0, 9.0]);
        let mut out = [1.0; 4];
        d.read_delayed(6, &mut out);
        assert_eq!(out, [0.0; 4]);
    }
}
