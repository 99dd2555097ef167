//! Sequence checking: which events batches continue the mirror, which repeat what it holds, which leave a gap.

/// What to do with an `events` batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Apply the batch, without its first `skip` events (already held).
    Forward { skip: usize },
    /// Nothing new in it (or no snapshot yet): drop it.
    Drop,
    /// Events before it are missing: get a fresh snapshot. Batches are dropped until one arrives.
    Gap { expected: u64 },
}

/// Tracks the seq of the next event a mirror expects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqCheck {
    next: Option<u64>,
}

impl SeqCheck {
    /// A snapshot after `seq` events arrived.
    pub fn on_snapshot(&mut self, seq: u64) {
        self.next = Some(seq);
    }

    /// A batch of `len` events starting at `from_seq` arrived.
    pub fn on_events(&mut self, from_seq: u64, len: usize) -> Verdict {
        let Some(next) = self.next else { return Verdict::Drop };
        let end = from_seq.saturating_add(len as u64);
        if from_seq == next {
            self.next = Some(end);
            Verdict::Forward { skip: 0 }
        } else if end <= next {
            Verdict::Drop
        } else if from_seq < next {
            self.next = Some(end);
            Verdict::Forward { skip: (next - from_seq) as usize }
        } else {
            self.next = None;
            Verdict::Gap { expected: next }
        }
    }

    /// The seq of the next event expected; None while waiting for a snapshot.
    pub fn next(&self) -> Option<u64> {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_batches_pass_and_gaps_wait_for_a_snapshot() {
        let mut s = SeqCheck::default();
        assert_eq!(s.on_events(0, 3), Verdict::Drop, "nothing before the first snapshot");
        s.on_snapshot(10);
        assert_eq!(s.on_events(10, 5), Verdict::Forward { skip: 0 });
        assert_eq!(s.next(), Some(15));
        assert_eq!(s.on_events(12, 3), Verdict::Drop, "already held");
        assert_eq!(s.on_events(13, 4), Verdict::Forward { skip: 2 });
        assert_eq!(s.next(), Some(17));
        assert_eq!(s.on_events(19, 1), Verdict::Gap { expected: 17 });
        assert_eq!(s.next(), None);
        assert_eq!(s.on_events(20, 1), Verdict::Drop, "batches wait for the snapshot");
        s.on_snapshot(21);
        assert_eq!(s.on_events(21, 2), Verdict::Forward { skip: 0 });
    }
}
