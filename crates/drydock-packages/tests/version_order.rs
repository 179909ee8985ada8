//! Version ordering: total-order laws on generated versions of each
//! ecosystem, and the Debian and RPM orders checked against the real tools
//! (`dpkg --compare-versions`, rpm's `rpm.vercmp`) on generated pairs.

use std::cmp::Ordering;
use std::process::Command;

use drydock_packages::{Ecosystem, compare, validate};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRng, TestRunner};

/// Small alphabets so that generated versions often share prefixes.
fn versions(ecosystem: Ecosystem) -> BoxedStrategy<String> {
    let pattern = match ecosystem {
        Ecosystem::Deb => "([0-2]{1,2}:)?[0-2][0-2ab.+~]{0,5}(-[0-2ab.+~]{1,4})?",
        Ecosystem::Rpm => "([0-2]:)?[0-2ab][0-2ab.~^_+]{0,5}(-[0-2ab.~^+]{1,4})?",
        Ecosystem::Apk => {
            "0?[0-2]{1,2}(\\.0?[0-2]{1,2}){0,2}[ab]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-2]?){0,2}(-r[0-2]{1,2})?"
        }
    };
    proptest::string::string_regex(pattern)
        .expect("valid regex")
        .prop_filter("valid version", move |v| validate(ecosystem, v).is_ok())
        .boxed()
}

fn cmp(e: Ecosystem, a: &str, b: &str) -> Ordering {
    compare(e, a, b).unwrap_or_else(|err| panic!("{err}"))
}

fn check_laws(
    cmp: &dyn Fn(&str, &str) -> Ordering,
    a: &str,
    b: &str,
    c: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(cmp(a, a), Ordering::Equal, "reflexive: {}", a);
    let ab = cmp(a, b);
    prop_assert_eq!(ab, cmp(b, a).reverse(), "antisymmetric: {} {}", a, b);
    let bc = cmp(b, c);
    let ac = cmp(a, c);
    if ab != Ordering::Greater && bc != Ordering::Greater {
        prop_assert_ne!(ac, Ordering::Greater, "transitive: {} <= {} <= {}", a, b, c);
    }
    if ab == Ordering::Equal {
        prop_assert_eq!(ac, bc, "equal versions order alike: {} = {} vs {}", a, b, c);
    }
    Ok(())
}

macro_rules! laws {
    ($name:ident, $ecosystem:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn $name(
                a in versions($ecosystem),
                b in versions($ecosystem),
                c in versions($ecosystem),
            ) {
                check_laws(&|x, y| cmp($ecosystem, x, y), &a, &b, &c)?;
            }
        }
    };
}

laws!(debian_order_is_total, Ecosystem::Deb);
laws!(rpm_order_is_total, Ecosystem::Rpm);
laws!(apk_order_is_total, Ecosystem::Apk);

/// The law checks can fail: comparisons that are not orders are caught.
#[test]
fn law_checks_catch_broken_orders() {
    assert!(check_laws(&|x, y| cmp(Ecosystem::Apk, x, y), "1", "2", "3").is_ok());
    // Rock, paper, scissors: r < p < s < r.
    let rps = |x: &str, y: &str| match (x, y) {
        _ if x == y => Ordering::Equal,
        ("r", "p") | ("p", "s") | ("s", "r") => Ordering::Less,
        _ => Ordering::Greater,
    };
    assert!(check_laws(&rps, "r", "p", "s").is_err());
    let always_less = |x: &str, y: &str| {
        if x == y {
            Ordering::Equal
        } else {
            Ordering::Less
        }
    };
    assert!(check_laws(&always_less, "1", "2", "3").is_err());
    let never_equal = |_: &str, _: &str| Ordering::Less;
    assert!(check_laws(&never_equal, "1", "1", "1").is_err());
}

/// Deterministic pairs from the strategy (fixed seed).
fn sample_pairs(e: Ecosystem, n: usize) -> Vec<(String, String)> {
    let config = Config::default();
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(Default::default()));
    let strategy = (versions(e), versions(e));
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("generate").current())
        .collect()
}

fn mismatches(e: Ecosystem, pairs: &[(String, String)], tool: &[Ordering]) -> Vec<String> {
    pairs
        .iter()
        .zip(tool)
        .filter(|((a, b), t)| cmp(e, a, b) != **t)
        .map(|((a, b), t)| format!("{a} vs {b}: tool says {t:?}, drydock {:?}", cmp(e, a, b)))
        .collect()
}

#[test]
fn debian_order_matches_dpkg() {
    let mut pairs = sample_pairs(Ecosystem::Deb, 400);
    for (a, b) in [
        ("1.0~rc1", "1.0"),
        ("1:0.9", "2.0"),
        ("1.0-1", "1.0-1+deb12u1"),
        ("1.0-1~bpo12+1", "1.0-1"),
        ("1.0+deb12u1", "1.0-9"),
        ("2.36-9+deb12u4", "2.36-9+deb12u10"),
    ] {
        pairs.push((a.into(), b.into()));
    }
    let mut script = String::new();
    for (a, b) in &pairs {
        script.push_str(&format!(
            "if dpkg --compare-versions '{a}' lt '{b}'; then echo -1; \
             elif dpkg --compare-versions '{a}' eq '{b}'; then echo 0; else echo 1; fi\n"
        ));
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tool: Vec<Ordering> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse::<i8>().unwrap().cmp(&0))
        .collect();
    assert_eq!(tool.len(), pairs.len());
    let bad = mismatches(Ecosystem::Deb, &pairs, &tool);
    assert!(
        bad.is_empty(),
        "{} of {}:\n{}",
        bad.len(),
        pairs.len(),
        bad.join("\n")
    );
    // The comparison with the tool can fail: a disagreement is reported.
    let wrong = [("1.0".to_owned(), "2.0".to_owned())];
    assert_eq!(
        mismatches(Ecosystem::Deb, &wrong, &[Ordering::Greater]).len(),
        1
    );
}

#[test]
fn rpm_order_matches_rpmvercmp() {
    let mut pairs = sample_pairs(Ecosystem::Rpm, 1000);
    for (a, b) in [
        ("1.0~rc1", "1.0"),
        ("1.0", "1.0^git1"),
        ("1.0^git1", "1.0.1"),
        ("1:0.9", "2.0"),
        ("1.0-1", "1.0-1.el9"),
        ("5.2.26-3.fc40", "5.2.26-10.fc40"),
    ] {
        pairs.push((a.into(), b.into()));
    }
    let table: Vec<String> = pairs
        .iter()
        .map(|(a, b)| format!("{{\"{a}\",\"{b}\"}}"))
        .collect();
    let lua = format!(
        "%{{lua: local r = {{}} for _, p in ipairs({{{}}}) do r[#r + 1] = rpm.vercmp(p[1], p[2]) end print(table.concat(r, ' '))}}",
        table.join(",")
    );
    let out = Command::new("rpm")
        .arg("--eval")
        .arg(&lua)
        .output()
        .expect("rpm runs (apt-get install rpm)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tool: Vec<Ordering> = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|l| l.parse::<i8>().unwrap().cmp(&0))
        .collect();
    assert_eq!(tool.len(), pairs.len());
    let bad = mismatches(Ecosystem::Rpm, &pairs, &tool);
    assert!(
        bad.is_empty(),
        "{} of {}:\n{}",
        bad.len(),
        pairs.len(),
        bad.join("\n")
    );
}
