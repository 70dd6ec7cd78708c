//! The fuzz targets (`src/fuzz_targets.rs`) over the checked-in corpus (`fuzz/corpus/`) and a
//! bounded number of mutations of it: every `cargo test` is a short fuzzing run that cannot
//! wander (a fixed seed), and a crash found by `cargo fuzz` becomes a corpus file here.
//!
//! `CORS_TUI_FUZZ_ITERATIONS` sets the mutations per target (default 400).

use std::path::Path;

use cors_tui::fuzz_targets::TARGETS;

/// Deterministic xorshift: the same mutations on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Values that have broken parsers before: controls, escapes, numbers out of range, odd
/// structure, XML references, forbidden methods.
const TOKENS: [&str; 24] = [
    "\"\\u001b]52;c;ZWNobw==\\u0007\"",
    "\"\\u202e\"",
    "null",
    "-1",
    "1e400",
    "18446744073709551616",
    "0",
    "99999",
    "\"\"",
    "[]",
    "{}",
    "\"TRACE\"",
    "\"*\"",
    "\"net::ERR_FAILED\"",
    "&#0;",
    "&#x9b;",
    "<CORSRule>",
    "</CORSRule>",
    "\u{feff}",
    "\"https://user:pw@a.example/x?token=t#/cb?code=c\"",
    "\"file:///etc/passwd\"",
    ",",
    "}",
    "\"",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            3 => data.truncate(at),
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let len = rng.below(64).min(other.len() - from);
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => {
                let end = (at + rng.below(32)).min(data.len());
                let copy = data[at.min(end)..end].to_vec();
                data.splice(at..at, copy);
            }
        }
    }
    data
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .collect()
}

#[test]
fn every_fuzz_target_survives_its_corpus_and_mutations_of_it() {
    let iterations: usize = std::env::var("CORS_TUI_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for (name, target) in TARGETS {
        let seeds = corpus(name);
        assert!(seeds.len() >= 4, "fuzz/corpus/{name} has too few seeds");
        for seed in &seeds {
            target(seed);
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        for _ in 0..iterations {
            let input = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let mutated = mutate(&mut rng, input, other);
            target(&mutated);
        }
    }
}
