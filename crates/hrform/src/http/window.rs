//! The sliding window a provider counts requests in: at most `limit` sends
//! in any span of `length`, the first send at once, each later one as soon
//! as the window has room. Pure: every instant is passed in, so the rule is
//! unit-tested without a clock.
//!
//! A send is counted from the moment it goes; when the window is long
//! (Connecteam's minute), the count is moved to the moment its answer came
//! ([`SlidingWindow::settle`]): the server counted the request somewhere in
//! between, so counting it from the answer never lets a later send reach a
//! server whose window still holds it.

use std::time::{Duration, Instant};

/// A counted send, to be [settled](SlidingWindow::settle) when answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// At most `limit` sends in any `length`.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    limit: usize,
    length: Duration,
    /// The counted sends (time, ticket), oldest first.
    hits: Vec<(Instant, u64)>,
    next: u64,
}

impl SlidingWindow {
    /// A window of `limit` (at least 1) sends per `length`.
    pub(crate) fn new(limit: u32, length: Duration) -> Self {
        Self {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            length,
            hits: Vec::new(),
            next: 0,
        }
    }

    fn expire(&mut self, now: Instant) {
        let length = self.length;
        self.hits
            .retain(|&(t, _)| now.checked_duration_since(t).is_none_or(|age| age < length));
    }

    /// When the next send may go: `now` when the window has room, else the
    /// moment enough counted sends have left it.
    pub(crate) fn next_at(&mut self, now: Instant) -> Instant {
        self.expire(now);
        if self.hits.len() < self.limit {
            return now;
        }
        let (t, _) = self.hits[self.hits.len() - self.limit];
        (t + self.length).max(now)
    }

    /// Count a send at `now` if the window has room; otherwise the moment
    /// to try again.
    pub(crate) fn try_take(&mut self, now: Instant) -> Result<Ticket, Instant> {
        let at = self.next_at(now);
        if at > now {
            return Err(at);
        }
        let id = self.next;
        self.next += 1;
        self.hits.push((now, id));
        self.hits.sort_by_key(|&(t, _)| t);
        Ok(Ticket(id))
    }

    /// Move a counted send to `at`, when its answer came (never earlier
    /// than it was counted). A ticket already expired is ignored.
    pub(crate) fn settle(&mut self, ticket: Ticket, at: Instant) {
        if let Some(hit) = self.hits.iter_mut().find(|(_, id)| *id == ticket.0) {
            hit.0 = hit.0.max(at);
            self.hits.sort_by_key(|&(t, _)| t);
        }
    }

    /// The server says only `remaining` more sends fit its window (it
    /// counts other clients of the account too): count the difference as
    /// sends made `now`, so no more than `remaining` go before they leave.
    pub(crate) fn observe_remaining(&mut self, now: Instant, remaining: u64) {
        self.expire(now);
        let room = self.limit.saturating_sub(self.hits.len());
        let remaining = usize::try_from(remaining).unwrap_or(usize::MAX);
        for _ in remaining..room {
            let id = self.next;
            self.next += 1;
            self.hits.push((now, id));
        }
        self.hits.sort_by_key(|&(t, _)| t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Sends as fast as the window allows, each answered `latency` after
    /// it went: the instants they go, relative to the first.
    fn schedule(limit: u32, length: Duration, latency: Duration, sends: usize) -> Vec<Duration> {
        let start = Instant::now();
        let mut w = SlidingWindow::new(limit, length);
        let mut now = start;
        let mut out = Vec::new();
        while out.len() < sends {
            match w.try_take(now) {
                Ok(t) => {
                    out.push(now - start);
                    w.settle(t, now + latency);
                }
                Err(at) => now = at,
            }
        }
        out
    }

    /// No span of `length` holds more than `limit` of `times` (each shifted
    /// by `delay`, when the server counted it).
    fn never_over(times: &[Duration], limit: usize, length: Duration) -> bool {
        times
            .iter()
            .all(|&t| times.iter().filter(|&&u| u >= t && u < t + length).count() <= limit)
    }

    #[test]
    fn the_window_decides_when_each_send_goes() {
        // (limit, length ms, latency ms, sends, expected send times ms)
        let cases: &[(u32, u64, u64, usize, &[u64])] = &[
            // A minute of 5: five at once, then each as the first ones leave.
            (5, 60_000, 0, 7, &[0, 0, 0, 0, 0, 60_000, 60_000]),
            // Counted from the answer: the sixth waits for the first answer.
            (5, 60_000, 100, 6, &[0, 0, 0, 0, 0, 60_100]),
            // One per 100 ms: even spacing, the first at once.
            (1, 100, 0, 4, &[0, 100, 200, 300]),
            (2, 1_000, 0, 5, &[0, 0, 1_000, 1_000, 2_000]),
        ];
        for &(limit, length, latency, sends, want) in cases {
            let got = schedule(limit, ms(length), ms(latency), sends);
            let want: Vec<Duration> = want.iter().map(|&m| ms(m)).collect();
            assert_eq!(
                got, want,
                "limit {limit} per {length} ms, latency {latency} ms"
            );
        }
    }

    #[test]
    fn no_span_of_the_window_ever_holds_more_than_the_limit() {
        for (limit, length, latency) in
            [(5, 60_000, 0), (5, 60_000, 250), (3, 1_000, 7), (1, 50, 0)]
        {
            let times = schedule(limit, ms(length), ms(latency), 40);
            // The server counts each send somewhere between its send and its answer.
            let counted: Vec<Duration> = times.iter().map(|&t| t + ms(latency)).collect();
            assert!(never_over(&times, limit as usize, ms(length)));
            assert!(never_over(&counted, limit as usize, ms(length)));
        }
    }

    #[test]
    fn what_the_server_says_is_left_holds_the_client_back() {
        let start = Instant::now();
        let mut w = SlidingWindow::new(5, ms(60_000));
        assert!(w.try_take(start).is_ok());
        // Another client spent the rest of the account's minute.
        w.observe_remaining(start, 0);
        assert_eq!(w.next_at(start), start + ms(60_000));
        // Remaining above what the client counts changes nothing.
        let mut w = SlidingWindow::new(5, ms(60_000));
        w.observe_remaining(start, 9);
        assert_eq!(w.next_at(start), start);
        // Two left: two more at once, then wait.
        let mut w = SlidingWindow::new(5, ms(60_000));
        w.observe_remaining(start, 2);
        assert!(w.try_take(start).is_ok());
        assert!(w.try_take(start).is_ok());
        assert_eq!(w.try_take(start), Err(start + ms(60_000)));
    }
}
