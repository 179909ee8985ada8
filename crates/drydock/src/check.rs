//! `drydock check IMAGE`: the rebuild verdict.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use drydock_check::{CheckOptions, Inputs, SecurityUpdate};
use drydock_findings::Severity;
use drydock_image::ImageSource;

use crate::advisories::{advisories_report, open};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::output::Output;

pub fn run(args: CheckArgs, _global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let source = open(&args.image, &args.platform)?;
    let advisories = match &args.osv {
        Some(osv) => Some(advisories_report(&*source, &args.image, osv)?),
        None => None,
    };
    let pending = if args.no_updates {
        Pending {
            security: None,
            notices: vec!["pending security updates: not checked (--no-updates)".into()],
        }
    } else {
        pending_security(&*source, &args)?
    };
    let opts = CheckOptions {
        candidates: args.bases,
        max_age: args.max_age,
        ..CheckOptions::default()
    };
    let inputs = Inputs {
        pending_security: pending.security.as_deref(),
        advisories: advisories.as_ref(),
    };
    let mut outcome = drydock_check::check(source.image(), &opts, inputs)
        .with_context(|| format!("cannot check {}", args.image))?;
    // After the verdict, which stays the first notice.
    let at = outcome.report.notices.len().min(1);
    outcome.report.notices.splice(at..at, pending.notices);
    tracing::info!("checked in {:.2?}", started.elapsed());
    output.report(&outcome.report, Some(Severity::Warning))
}

/// The pending security updates (`None`: not computed), and notices saying
/// what was compared or why nothing was.
struct Pending {
    security: Option<Vec<SecurityUpdate>>,
    notices: Vec<String>,
}

/// What `drydock updates --security-only` reports, from the same sources and
/// with the same verification. An image the updates engine does not support
/// (no package database, no package sources, a distribution that does not mark
/// security fixes) is a notice; a fetch, signature or checksum failure is an
/// error, never "no updates".
fn pending_security(source: &dyn ImageSource, args: &CheckArgs) -> anyhow::Result<Pending> {
    let options = drydock_updates::Options {
        fetch: args.indexes.fetch_options(),
        security_only: false,
    };
    let updates = match drydock_updates::pending_updates(source, &options) {
        Ok(u) => u,
        Err(drydock_updates::Error::Unsupported(why)) => {
            return Ok(Pending {
                security: None,
                notices: vec![format!("pending security updates: not checked: {why}")],
            });
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "cannot list the pending updates of {} (--no-updates checks without them)",
                args.image
            )));
        }
    };
    let (security, other): (Vec<_>, Vec<_>) = updates.updates.iter().partition(|u| u.security);
    let mut notices = Vec::new();
    let compared = format!(
        "{} installed packages compared with {} versions from the image's own sources ({} index \
         bytes fetched, {} index files from the cache)",
        updates.installed, updates.available, updates.fetched_bytes, updates.cache_hits
    );
    if !updates.security_known {
        notices.push(format!(
            "pending security updates: not checked: the image's package sources do not mark \
             security fixes; {} update(s) pending (`drydock updates` lists them); {compared}",
            other.len()
        ));
        notices.extend(updates.notices.iter().map(|n| format!("updates: {n}")));
        return Ok(Pending {
            security: None,
            notices,
        });
    }
    notices.push(format!(
        "pending updates: {} security, {} other (not counted; `drydock updates` lists them); \
         {compared}",
        security.len(),
        other.len()
    ));
    notices.extend(updates.notices.iter().map(|n| format!("updates: {n}")));
    let security = security
        .into_iter()
        .map(|u| SecurityUpdate {
            name: u.name.clone(),
            installed_version: u.installed_version.clone(),
            fixed_version: u.fixed_version.clone(),
            layer: u.layer,
        })
        .collect();
    Ok(Pending {
        security: Some(security),
        notices,
    })
}
