//! `hrform plan`: load the manifests, read the live systems, show the plan.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::common::{DocStream, emit_diagnostics, hint};
use crate::cli::{OutputFormat, PlanArgs};
use crate::context::Context;
use crate::diag;
use crate::exit::ExitStatus;
use crate::manifest::Config;
use crate::plan::{self, PlanError, PlanOptions, render};

pub(crate) fn run(
    args: &PlanArgs,
    global: &crate::cli::GlobalArgs,
    context: &Context,
) -> Result<ExitStatus> {
    // `--at`: today is that day, for the manifests' dates and the leave year.
    let mut at = context.clone();
    if let Some(day) = args.at {
        at.manifest.today = Some(day);
    }
    let context = &at;
    let skip: Vec<_> = args.sandbox.iter().cloned().collect();
    let loaded = crate::discover::load(&args.config.dir, &skip, context);
    let Some(config) = loaded.config.as_ref() else {
        let (errors, _) = diag::summary(&loaded.diagnostics);
        emit_diagnostics(
            args.format,
            &loaded.diagnostics,
            &loaded.sources,
            Some(&format!(
                "error: the manifests have {}; nothing was read or planned",
                diag::count(errors, "error")
            )),
            DocStream::Stderr,
        )?;
        return Ok(ExitStatus::Error);
    };
    for target in &args.target {
        check_target(config, target)?;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let options = PlanOptions {
        targets: args.target.clone(),
        ..PlanOptions::default()
    };
    let result = runtime.block_on(async {
        let (sandbox, endpoints) = match &args.sandbox {
            Some(seed) => {
                let (sandbox, endpoints) = super::common::start_sandbox(seed, config).await?;
                (Some(sandbox), endpoints)
            }
            None => (None, BTreeMap::new()),
        };
        let result = plan::make_plan(
            config,
            &loaded.sources,
            &loaded.manifests,
            endpoints,
            &options,
        )
        .await;
        if let Some(sandbox) = sandbox {
            sandbox.stop().await;
        }
        anyhow::Ok(result)
    });
    // The manifests' own warnings come first, then what planning found.
    let mut diags = loaded.diagnostics.clone();
    let emit = |diags: &[diag::Diagnostic], summary: Option<&str>| {
        emit_diagnostics(
            args.format,
            diags,
            &loaded.sources,
            summary,
            DocStream::Stderr,
        )
    };
    let (plan, errors) = match result {
        Err(e) => {
            emit(&diags, None)?;
            return Err(e);
        }
        Ok(Ok((plan, warnings))) => {
            diags.extend(warnings);
            emit(&diags, None)?;
            (plan, 0)
        }
        Ok(Err(PlanError::Resolution(found, partial))) => {
            let (errors, _) = diag::summary(&found);
            diags.extend(found);
            (*partial, errors)
        }
        Ok(Err(PlanError::Provider(e))) => {
            emit(&diags, None)?;
            return Err(e.into());
        }
    };

    // A plan with errors is shown (everything else it could derive), then
    // the errors; it is never saved, so it can never be applied.
    if let Some(path) = &args.out
        && errors == 0
    {
        write_plan_file(path, &plan)?;
    }
    let mut stdout = crate::output::stdout();
    match args.output {
        OutputFormat::Text => {
            write!(
                stdout,
                "{}",
                render::text(
                    &plan,
                    &render::TextOptions {
                        color: super::common::stdout_color(),
                        show_calls: args.show_calls || global.verbose > 0,
                        verbose: global.verbose > 0,
                    }
                )
            )?;
            if context.verbose {
                write!(stdout, "{}", render::because_text(&plan))?;
            }
        }
        OutputFormat::Json => write!(stdout, "{}", crate::output::json(&render::json(&plan)))?,
        OutputFormat::Markdown => write!(stdout, "{}", plan::comment::markdown(&plan))?,
    }
    stdout.flush()?;
    if errors > 0 {
        emit(
            &diags,
            Some(&format!(
                "error: {errors} {} between the manifests and the live systems; the plan above cannot be applied{}",
                if errors == 1 {
                    "mismatch"
                } else {
                    "mismatches"
                },
                if args.out.is_some() {
                    ", and --out saved nothing"
                } else {
                    ""
                }
            )),
        )?;
        return Ok(ExitStatus::Error);
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// A `--target` must name something declared, or it silently selects
/// nothing: a usage error otherwise.
fn check_target(config: &Config, target: &plan::Target) -> Result<()> {
    let unknown = match target {
        plan::Target::Provider(p) => (!config.providers.contains_key(p)).then(|| {
            format!(
                "--target {target}: no provider `{p}` is declared{}",
                hint(p, config.providers.keys().map(String::as_str))
            )
        }),
        plan::Target::Policy(p) => {
            let policies: Vec<&str> = config
                .users
                .iter()
                .flat_map(|u| u.time_off.iter().map(|t| t.policy.as_str()))
                .collect();
            (!policies.contains(&p.as_str())).then(|| {
                format!(
                    "--target {target}: no declared user is on a policy `{p}`{}",
                    hint(p, policies.iter().copied())
                )
            })
        }
        plan::Target::Email(e) => (!config.users.iter().any(|u| u.email.key() == e)).then(|| {
            format!(
                "--target {target}: no declared user has this email (use an email, provider=NAME or policy=NAME){}",
                hint(e, config.users.iter().map(|u| u.email.as_written()))
            )
        }),
    };
    match unknown {
        Some(message) => Err(super::common::usage_error(message)),
        None => Ok(()),
    }
}

/// Save the JSON plan; it holds no key (the plan model has none).
fn write_plan_file(path: &Path, plan: &plan::Plan) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // 0600, never through a symlink (see `private_file`).
    let mut file = crate::private_file::open(path, crate::private_file::Mode::Truncate)
        .with_context(|| format!("cannot write the plan to {}", path.display()))?;
    file.write_all(render::json(plan).as_bytes())
        .with_context(|| format!("cannot write the plan to {}", path.display()))
}
