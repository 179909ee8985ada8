//! The keyword prefilter: an Aho-Corasick DFA (ASCII case-insensitive,
//! overlapping: every occurrence of every keyword) that walks several
//! stretches of the haystack at once.
//!
//! A DFA walk is bound by the latency of its table loads: each step needs the
//! state the previous step produced. Walking four independent stretches in
//! one loop lets the CPU overlap those loads. The state after any byte only
//! depends on the last `max_len - 1` bytes (the longest keyword prefix that
//! ends there), so a stretch starts that many bytes early and reports only
//! the hits that end inside it: the hits are exactly those of one walk over
//! the whole haystack, in the same order (by end).

use std::collections::VecDeque;

/// Stretches walked together.
const LANES: usize = 4;
/// Below this haystack length one walk is as fast.
const MIN_LANED: usize = 256;

/// One keyword occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub keyword: usize,
    pub start: usize,
    pub end: usize,
}

pub(crate) struct KeywordDfa {
    /// Byte → equivalence class (`A` and `a` share one; bytes in no keyword are 0).
    classes: [u8; 256],
    /// Transitions, `state + class` → next state; states are premultiplied by
    /// the number of classes.
    trans: Vec<u32>,
    /// States at or above this one end at least one keyword.
    first_match: u32,
    stride: usize,
    /// Keywords ending in each match state, indexed by `(state - first_match) / stride`.
    outputs: Vec<Vec<usize>>,
    lens: Vec<usize>,
    max_len: usize,
}

impl KeywordDfa {
    /// Build from non-empty ASCII keywords (matched ASCII-case-insensitively).
    pub fn new(keywords: &[String]) -> KeywordDfa {
        let mut classes = [0u8; 256];
        let mut nclasses = 1usize;
        for kw in keywords {
            assert!(!kw.is_empty(), "empty keyword");
            for &b in kw.as_bytes() {
                let lower = b.to_ascii_lowercase();
                if classes[usize::from(lower)] == 0 {
                    let class = u8::try_from(nclasses).expect("at most 255 keyword bytes");
                    nclasses += 1;
                    classes[usize::from(lower)] = class;
                    classes[usize::from(lower.to_ascii_uppercase())] = class;
                }
            }
        }
        let stride = nclasses;

        // Trie over classes.
        let mut children: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        let mut outs: Vec<Vec<usize>> = vec![Vec::new()];
        for (k, kw) in keywords.iter().enumerate() {
            let mut s = 0;
            for &b in kw.as_bytes() {
                let c = usize::from(classes[usize::from(b)]);
                s = match children[s].iter().find(|(cc, _)| *cc == c) {
                    Some(&(_, t)) => t,
                    None => {
                        children.push(Vec::new());
                        outs.push(Vec::new());
                        let t = children.len() - 1;
                        children[s].push((c, t));
                        t
                    }
                };
            }
            outs[s].push(k);
        }

        // Failure links and the full transition function, breadth first.
        let n = children.len();
        let mut delta = vec![0usize; n * stride];
        let mut fail = vec![0usize; n];
        let mut queue = VecDeque::new();
        for &(c, t) in &children[0] {
            delta[c] = t;
            queue.push_back(t);
        }
        while let Some(s) = queue.pop_front() {
            let f = fail[s];
            for c in 0..stride {
                delta[s * stride + c] = delta[f * stride + c];
            }
            for &(c, t) in &children[s] {
                let ft = delta[f * stride + c];
                fail[t] = ft;
                let inherited = outs[ft].clone();
                outs[t].extend(inherited);
                delta[s * stride + c] = t;
                queue.push_back(t);
            }
        }

        // Renumber: non-match states first (the root, 0, stays 0), match states last.
        let mut order: Vec<usize> = (0..n).filter(|&s| outs[s].is_empty()).collect();
        let first_match = order.len();
        order.extend((0..n).filter(|&s| !outs[s].is_empty()));
        let mut new_id = vec![0usize; n];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = new;
        }
        let premul = |s: usize| u32::try_from(s * stride).expect("keyword automaton too large");
        let mut trans = vec![0u32; n * stride];
        for (new, &old) in order.iter().enumerate() {
            for c in 0..stride {
                trans[new * stride + c] = premul(new_id[delta[old * stride + c]]);
            }
        }
        let outputs = order[first_match..]
            .iter()
            .map(|&old| std::mem::take(&mut outs[old]))
            .collect();
        KeywordDfa {
            classes,
            trans,
            first_match: premul(first_match),
            stride,
            outputs,
            lens: keywords.iter().map(String::len).collect(),
            max_len: keywords.iter().map(String::len).max().unwrap_or(1),
        }
    }

    #[inline(always)]
    fn step(&self, state: u32, byte: u8) -> u32 {
        self.trans[state as usize + usize::from(self.classes[usize::from(byte)])]
    }

    /// Append every keyword occurrence in `hay` to `out`, ordered by end.
    pub fn find_all(&self, hay: &[u8], out: &mut Vec<Hit>) {
        let len = hay.len();
        if len < MIN_LANED {
            let mut s = 0;
            for (i, &b) in hay.iter().enumerate() {
                s = self.step(s, b);
                if s >= self.first_match {
                    self.push(s, i + 1, out);
                }
            }
            return;
        }
        let part = len / LANES;
        // State of each lane at the start of its stretch.
        let warm = |at: usize| {
            hay[at.saturating_sub(self.max_len - 1)..at]
                .iter()
                .fold(0, |s, &b| self.step(s, b))
        };
        let mut states = [0, warm(part), warm(2 * part), warm(3 * part)];
        // (end, state) of each match, per lane; ordinary text has a keyword
        // every few dozen bytes.
        let mut found: [Vec<(usize, u32)>; LANES] =
            std::array::from_fn(|_| Vec::with_capacity(part / 32));
        let (l0, rest) = hay.split_at(part);
        let (l1, rest) = rest.split_at(part);
        let (l2, rest) = rest.split_at(part);
        let l3 = &rest[..part];
        let [mut s0, mut s1, mut s2, mut s3] = states;
        let fm = self.first_match;
        let lanes = l0.iter().zip(l1).zip(l2).zip(l3);
        for (k, (((&b0, &b1), &b2), &b3)) in lanes.enumerate() {
            s0 = self.step(s0, b0);
            s1 = self.step(s1, b1);
            s2 = self.step(s2, b2);
            s3 = self.step(s3, b3);
            if (s0 >= fm) | (s1 >= fm) | (s2 >= fm) | (s3 >= fm) {
                self.note([s0, s1, s2, s3], k, part, &mut found);
            }
        }
        states = [s0, s1, s2, s3];
        // The last lane also walks the bytes that did not divide evenly.
        let last = LANES - 1;
        for (i, &b) in hay.iter().enumerate().skip(LANES * part) {
            let s = self.step(states[last], b);
            states[last] = s;
            if s >= self.first_match {
                found[last].push((i + 1, s));
            }
        }
        for lane in found {
            for (end, s) in lane {
                self.push(s, end, out);
            }
        }
    }

    /// Record the lanes that reached a match state at offset `k` of their stretch.
    #[cold]
    #[inline(never)]
    fn note(
        &self,
        states: [u32; LANES],
        k: usize,
        part: usize,
        found: &mut [Vec<(usize, u32)>; LANES],
    ) {
        for (lane, s) in states.into_iter().enumerate() {
            if s >= self.first_match {
                found[lane].push((lane * part + k + 1, s));
            }
        }
    }

    fn push(&self, state: u32, end: usize, out: &mut Vec<Hit>) {
        let i = ((state - self.first_match) as usize) / self.stride;
        for &keyword in &self.outputs[i] {
            out.push(Hit {
                keyword,
                start: end - self.lens[keyword],
                end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    fn reference(keywords: &[String], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .unwrap();
        let mut v: Vec<_> = ac
            .find_overlapping_iter(hay)
            .map(|m| (m.end(), m.start(), m.pattern().as_usize()))
            .collect();
        v.sort_unstable();
        v
    }

    fn ours(keywords: &[String], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut hits = Vec::new();
        KeywordDfa::new(keywords).find_all(hay, &mut hits);
        assert!(
            hits.windows(2).all(|w| w[0].end <= w[1].end),
            "ordered by end"
        );
        let mut v: Vec<_> = hits.iter().map(|h| (h.end, h.start, h.keyword)).collect();
        v.sort_unstable();
        v
    }

    fn kws(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn overlapping_and_nested_keywords_at_lane_boundaries() {
        let k = kws(&["password", "_password", "pass", "sword", "ass", "://", "q~"]);
        for pad in 0..40 {
            let mut hay = vec![b'.'; 300 + pad];
            let text = b"x_PassWord://q~";
            for at in [0, 70, 75, 150, 299 + pad - text.len()] {
                hay[at..at + text.len()].copy_from_slice(text);
            }
            assert_eq!(ours(&k, &hay), reference(&k, &hay), "pad {pad}");
        }
    }

    proptest! {
        #[test]
        fn same_hits_as_aho_corasick(
            hay in proptest::collection::vec(
                prop::sample::select(b"aAbB_-:/~pPsSwWoOrRdD \n\x80\xff".to_vec()), 0..2000),
            keywords in proptest::collection::vec("[abAB_:/~psword]{1,6}", 1..12),
        ) {
            let keywords: Vec<String> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
            prop_assert_eq!(ours(&keywords, &hay), reference(&keywords, &hay));
        }
    }
}
