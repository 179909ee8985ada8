//! Reproducible single-thread throughput benchmark for the secret scanner.
//!
//! ```text
//! cargo run --release -p drydock-secrets --example secret_throughput [MB] [seed]
//! ```
//!
//! Generates a seeded ~200 MB mixed text corpus (Python, JavaScript, JSON,
//! YAML, Markdown, Dockerfiles, .env/.ini configs, with realistic
//! near-misses: `author`, `token_type`, `password: ${DB_PASSWORD}`, URLs,
//! "private key" prose…) plus a few planted fake secrets, then reports the
//! median MB/s (10^6 B/s) of 5 runs for:
//! - `scan` per file (the `drydock scan` layer-file path),
//! - `scan_reader` over the whole corpus as one stream (1 MiB chunks),
//! - the whole-buffer regex strategy, for comparison.

use std::hint::black_box;
use std::time::Instant;

use drydock_secrets::{Scanner, Strategy};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| A[self.below(A.len())] as char).collect()
    }
}

const WORDS: &[&str] = &[
    "the",
    "image",
    "layer",
    "build",
    "cache",
    "user",
    "config",
    "value",
    "request",
    "response",
    "handler",
    "server",
    "client",
    "token_type",
    "author",
    "authority",
    "session",
    "timeout",
    "package",
    "version",
    "install",
    "update",
    "return",
    "error",
    "result",
    "context",
    "stream",
    "buffer",
    "index",
    "manifest",
    "digest",
    "registry",
    "secret_name",
    "password_policy",
    "keyboard",
    "monkey",
    "pathway",
    "tokenizer",
    "authenticate",
    "docker",
    "kubernetes",
    "node",
    "python",
    "apt-get",
    "debian",
    "alpine",
    "metrics",
    "latency",
    "deploy",
    "pipeline",
    "asia",
];

fn sentence(r: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(r.pick(WORDS));
    }
    s
}

fn python(r: &mut Rng) -> String {
    let mut s = String::from("import os\nimport json\nfrom typing import Optional\n\n");
    for i in 0..(20 + r.below(40)) {
        let w = r.pick(WORDS).replace('-', "_");
        s += &format!(
            "def {w}_{i}(self, token: Optional[str] = None, timeout: int = {t}):\n    \"\"\"{doc}.\"\"\"\n    password = os.environ.get(\"DB_PASSWORD\")\n    url = \"https://api.example.com/v1/{w}?page={i}\"\n    if not token:\n        token = self.session.get_token()\n    result = self.client.request(url, headers={{\"Authorization\": f\"Bearer {{token}}\"}})\n    for item in result[\"items\"]:\n        yield item.get(\"{w}\", {i})\n\n",
            t = r.below(120),
            doc = sentence(r, 8)
        );
    }
    s
}

fn javascript(r: &mut Rng) -> String {
    let mut s = String::from("'use strict';\nconst axios = require('axios');\n\n");
    for i in 0..(20 + r.below(40)) {
        let w = r.pick(WORDS).replace('-', "_");
        s += &format!(
            "async function {w}{i}(req, res) {{\n  // {c}\n  const apiKey = process.env.API_KEY;\n  const {{ data }} = await axios.get(`https://cdn.example.org/{w}/${{req.params.id}}`, {{ timeout: {t} }});\n  if (!data || data.length === 0) {{ return res.status(404).json({{ error: 'not found' }}); }}\n  return res.json({{ {w}: data.map((x) => x.{w} * {i}), author: req.user.name }});\n}}\n\n",
            c = sentence(r, 10),
            t = r.below(5000)
        );
    }
    s
}

fn json(r: &mut Rng) -> String {
    let mut s = String::from("{\n  \"name\": \"drydock-fixture\",\n  \"items\": [\n");
    for i in 0..(50 + r.below(150)) {
        s += &format!(
            "    {{\"id\": {i}, \"{w}\": \"{v}\", \"enabled\": {b}, \"digest\": \"sha256:{h}\", \"url\": \"https://registry.example.com/v2/{w}/manifests/{i}\", \"token_type\": \"bearer\"}},\n",
            w = r.pick(WORDS),
            v = sentence(r, 3),
            b = r.below(2) == 1,
            h = r.alnum(64).to_ascii_lowercase()
        );
    }
    s += "    {}\n  ]\n}\n";
    s
}

fn yaml(r: &mut Rng) -> String {
    let mut s = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n",
    );
    for i in 0..(10 + r.below(30)) {
        s += &format!(
            "        - name: {w}-{i}\n          image: registry.example.com/{w}:1.{i}.{p}\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db-credentials\n                  key: password\n            - name: LOG_LEVEL\n              value: info\n          args: [\"--auth-mode=oidc\", \"--timeout={t}s\"]\n",
            w = r.pick(WORDS),
            p = r.below(10),
            t = r.below(60)
        );
    }
    s
}

fn markdown(r: &mut Rng) -> String {
    let mut s = String::from("# Drydock fixture\n\n");
    for i in 0..(20 + r.below(40)) {
        s += &format!(
            "## Section {i}\n\n{p}. See [the docs](https://docs.example.com/{w}) and keep your private key out of images; rotate the access token every {d} days. The author of this {w} notes the password policy.\n\n```sh\ndocker build --secret id=npmrc,src=$HOME/.npmrc -t app:{i} .\n```\n\n",
            p = sentence(r, 30),
            w = r.pick(WORDS),
            d = r.below(90)
        );
    }
    s
}

fn dockerfile_and_env(r: &mut Rng) -> String {
    let mut s = String::new();
    for i in 0..(10 + r.below(20)) {
        s += &format!(
            "FROM python:3.{i}-slim AS build\nARG PIP_INDEX_URL\nENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D PYTHON_VERSION=3.{i}.{p}\nRUN --mount=type=secret,id=token set -eux; apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*\n[database]\nhost = db.internal\nport = 5432\nuser = app\npassword_file = /run/secrets/db\nsecret_ref = ${{DB_SECRET}}\n\n",
            p = r.below(20)
        );
    }
    s
}

/// Fake, well-formed secrets, assembled at run time.
fn planted(r: &mut Rng) -> String {
    match r.below(6) {
        0 => format!(
            "aws_access_key_id = {}{}\n",
            "AKIA",
            "QWERTYUIOPASDFGH".chars().rev().collect::<String>()
        ),
        1 => format!("GITHUB_TOKEN={}_{}\n", "ghp", r.alnum(36)),
        2 => format!("stripe: \"{}_live_{}\"\n", "sk", r.alnum(24)),
        3 => format!(
            "DATABASE_URL=postgres://app:{}@db.internal:5432/app\n",
            r.alnum(16)
        ),
        4 => format!("client_secret = \"{}\"\n", r.alnum(32)),
        _ => format!("const key = '{}{}';\n", "AIza", r.alnum(35)),
    }
}

fn corpus(target: usize, seed: u64) -> (Vec<Vec<u8>>, usize) {
    let mut r = Rng(seed);
    let mut files = Vec::new();
    let mut total = 0;
    let mut planted_count = 0;
    while total < target {
        let mut f = match r.below(6) {
            0 => python(&mut r),
            1 => javascript(&mut r),
            2 => json(&mut r),
            3 => yaml(&mut r),
            4 => markdown(&mut r),
            _ => dockerfile_and_env(&mut r),
        };
        if r.below(50) == 0 {
            f.push_str(&planted(&mut r));
            planted_count += 1;
        }
        total += f.len();
        files.push(f.into_bytes());
    }
    (files, planted_count)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Nanoseconds this thread has spent on a CPU (Linux `schedstat`), so the
/// figure is per-core throughput even on a busy machine; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn bench(label: &str, bytes: usize, runs: usize, mut f: impl FnMut() -> usize) {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    let mut found = 0;
    for _ in 0..runs {
        let c0 = thread_cpu_ns();
        let t = Instant::now();
        found = black_box(f());
        let secs = t.elapsed().as_secs_f64();
        wall.push(bytes as f64 / secs / 1e6);
        if let (Some(c0), Some(c1)) = (c0, thread_cpu_ns()) {
            cpu.push(bytes as f64 / ((c1 - c0) as f64 / 1e9) / 1e6);
        }
    }
    let cpu = if cpu.is_empty() {
        "n/a".to_owned()
    } else {
        format!("{:>7.1}", median(cpu))
    };
    println!(
        "{label:<42} median {cpu} MB/s per CPU-second | wall {:>7.1} MB/s | matches {found}",
        median(wall)
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let _ = &mut args;
    let seed: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0x5EC2_E75D_2026);
    let t = Instant::now();
    // `--file PATH`: benchmark real text instead (split into 16 KiB pieces).
    let real = std::env::args().skip_while(|a| a != "--file").nth(1);
    let (files, planted) = match real {
        Some(path) => {
            let data = std::fs::read(&path).expect("read --file");
            (data.chunks(16 << 10).map(<[u8]>::to_vec).collect(), 0)
        }
        None => corpus(mb * 1_000_000, seed),
    };
    let bytes: usize = files.iter().map(Vec::len).sum();
    let avg = bytes / files.len();
    println!(
        "corpus: {:.1} MB, {} files (avg {} B), {planted} planted secrets, seed {seed:#x}, generated in {:.1}s",
        bytes as f64 / 1e6,
        files.len(),
        avg,
        t.elapsed().as_secs_f64()
    );
    let runs = 5;
    let windowed = Scanner::new();
    // warm-up (lazy DFA caches)
    for f in files.iter().take(200) {
        black_box(windowed.scan(f));
    }
    bench("scan per file, windowed (default)", bytes, runs, || {
        let mut out = Vec::new();
        for f in &files {
            windowed.scan_into(f, &mut out);
        }
        out.len()
    });
    bench("keyword prefilter alone (floor)", bytes, runs, || {
        files.iter().map(|f| windowed.keyword_hits(f)).sum()
    });
    let stream: Vec<u8> = files.concat();
    bench("scan_reader, one stream, 1 MiB chunks", bytes, runs, || {
        windowed
            .scan_reader(&stream[..])
            .map(|r| r.matches.len())
            .unwrap_or(0)
    });
    let whole = Scanner::builder().strategy(Strategy::WholeBuffer).build();
    bench("scan per file, whole-buffer regex", bytes, runs, || {
        let mut out = Vec::new();
        for f in &files {
            whole.scan_into(f, &mut out);
        }
        out.len()
    });
    bench("redact_text per file (strict redaction)", bytes, 3, || {
        let mut n = 0;
        for f in &files {
            let s = String::from_utf8_lossy(f);
            n += usize::from(matches!(
                windowed.redact_text(&s),
                std::borrow::Cow::Owned(_)
            ));
        }
        n
    });
}
