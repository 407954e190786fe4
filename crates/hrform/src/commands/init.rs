//! `hrform init`: write a starting `providers.yaml` for one provider from
//! what its key can see (Clockify: the workspaces, `GET /v1/workspaces`;
//! Connecteam: the account, `GET /me`), with the policies found listed as
//! comments and on stderr. The key is read as the other commands read it
//! (the variable `api_key_env` names) and never printed. The file is
//! checked in the tree before any call and again before it is written;
//! an existing file is replaced only with `--force`; on any error nothing
//! is written. The text is `hrform_core::init`'s.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cli::{InitArgs, InitProviderType};
use crate::exit::ExitStatus;
use crate::model::ReadScope;
use crate::providers::{Endpoint, ProviderClient, ProviderError};
use hrform_core::init::{self, Account, Choice};

/// A workspace id that validates, for the check before the workspace is
/// known (never written).
const PROBE_WORKSPACE: &str = "000000000000000000000000";

pub(crate) fn run(args: &InitArgs, context: &crate::context::Context) -> Result<ExitStatus> {
    let dir = &args.config.dir;
    let to_stdout = args.out.as_deref() == Some(Path::new("-"));
    let path = match &args.out {
        Some(p) if !to_stdout => p.clone(),
        _ => dir.join("providers.yaml"),
    };
    let mut stderr = crate::output::stderr();
    if !to_stdout && !args.force && std::fs::symlink_metadata(&path).is_ok() {
        writeln!(
            stderr,
            "error: {} exists; nothing was written (--force replaces it)",
            path.display()
        )?;
        return Ok(ExitStatus::Error);
    }
    let env = args
        .api_key_env
        .clone()
        .unwrap_or_else(|| match args.provider_type {
            InitProviderType::Clockify => "CLOCKIFY_API_KEY".into(),
            InitProviderType::Connecteam => "CONNECTEAM_API_KEY".into(),
        });
    let schema = super::export::schema_path(path.parent().unwrap_or(dir));
    let tree = Tree::new(dir, &path, to_stdout, args.sandbox.clone());
    let text = |account: &Account, survey: Option<&init::Survey<'_>>, today| {
        init::render(
            &init::Init {
                name: &args.name,
                account,
                base_url: args.base_url.as_deref(),
                api_key_env: &env,
                schema: &schema,
                today,
            },
            survey,
        )
    };

    // The options, checked as the file they make, before any call.
    let mut account = match args.provider_type {
        InitProviderType::Clockify => Account::Clockify {
            workspace_id: args
                .workspace
                .clone()
                .filter(|w| w.len() == 24 && w.bytes().all(|b| b.is_ascii_hexdigit()))
                .unwrap_or_else(|| PROBE_WORKSPACE.into()),
            workspace_name: String::new(),
        },
        InitProviderType::Connecteam => Account::Connecteam {
            company_name: String::new(),
            company_id: String::new(),
        },
    };
    let probe_day = jiff::civil::date(2000, 1, 1);
    let Some(config) = tree.check(&text(&account, None, probe_day), context, &mut stderr)? else {
        return Ok(ExitStatus::Error);
    };
    let provider = config.providers[&args.name].clone();
    let who = format!(
        "provider `{}` ({})",
        crate::escape::text(&args.name),
        provider.kind.type_name()
    );
    let key_from = if args.sandbox.is_some() {
        "the sandbox seed's key".to_owned()
    } else {
        format!("the key in {env}")
    };
    let failed = |e: ProviderError| match &e {
        ProviderError::Status {
            status: 401 | 403, ..
        } => {
            anyhow::anyhow!("{who}: {key_from} was refused: {e}; nothing was written")
        }
        ProviderError::MissingKey { .. } => anyhow::anyhow!("{e}; nothing was written"),
        _ => anyhow::anyhow!("{who}: {e}; nothing was written"),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let found = runtime.block_on(async {
        let (sandbox, endpoint) = match &args.sandbox {
            Some(seed) => {
                let (sandbox, mut endpoints) = super::common::start_sandbox(seed, &config).await?;
                (Some(sandbox), endpoints.remove(&args.name))
            }
            None => (None, None),
        };
        let result = survey(
            args,
            &config,
            &provider,
            endpoint,
            &mut account,
            &tree,
            context,
        )
        .await;
        if let Some(sandbox) = sandbox {
            sandbox.stop().await;
        }
        result
    });
    let (live, final_config) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(ExitStatus::Error),
        Err(Failure::Provider(e)) => return Err(failed(e)),
        Err(Failure::Other(e)) => return Err(e),
    };
    let survey = init::Survey {
        policies: &live.policies,
        people: live.people.len(),
    };
    let final_text = text(&account, Some(&survey), final_config.today);
    // The file as it will be written, checked once more in the tree.
    if tree.check(&final_text, context, &mut stderr)?.is_none() {
        return Ok(ExitStatus::Error);
    }

    if to_stdout {
        let mut stdout = crate::output::stdout();
        stdout.write_all(final_text.as_bytes())?;
        stdout.flush()?;
    } else {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        super::export::write_file(&path, &final_text, args.force)?;
    }
    writeln!(stderr, "{}", init::account_line(&account, Some(&survey)))?;
    for line in init::policy_lines(&live.policies) {
        writeln!(stderr, "  {line}")?;
    }
    if !to_stdout {
        writeln!(
            stderr,
            "Wrote {}; next: `hrform export --provider {}` writes the people as manifests",
            path.display(),
            crate::escape::text(&args.name)
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Why the survey stopped.
enum Failure {
    /// A call failed (the key, the network, the answer).
    Provider(ProviderError),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<ProviderError> for Failure {
    fn from(e: ProviderError) -> Self {
        Failure::Provider(e)
    }
}

/// Ask the provider what the key can see: choose the Clockify workspace
/// (filling in `account`), then read its policies and people. `Ok(None)`:
/// the file for the chosen workspace does not validate (reported).
async fn survey(
    args: &InitArgs,
    config: &crate::manifest::Config,
    provider: &crate::manifest::checked::Provider,
    endpoint: Option<Endpoint>,
    account: &mut Account,
    tree: &Tree,
    context: &crate::context::Context,
) -> Result<Option<(crate::model::LiveState, crate::manifest::Config)>, Failure> {
    let endpoint = match endpoint {
        Some(e) => e,
        None => Endpoint::from_config(provider)?,
    };
    // Errors name the file init writes (where the provider will be declared).
    let declared = tree.at.display().to_string();
    let client = ProviderClient::new(provider, &config.policies, endpoint.clone(), &declared)?;
    // Every person (to count them), no balances.
    let scope = ReadScope {
        all_people: true,
        ..ReadScope::default()
    };
    match &client {
        ProviderClient::Clockify(c) => {
            let found = c.workspaces().await?;
            let chosen = match init::choose_workspace(&found, args.workspace.as_deref()) {
                Ok(i) => i,
                Err(why) => return Err(Failure::Other(workspace_error(&why, &found, args))),
            };
            let (id, name) = found[chosen].clone();
            *account = Account::Clockify {
                workspace_id: id,
                workspace_name: name,
            };
            // The client for the workspace chosen, from the file naming it.
            let text = init::render(
                &init::Init {
                    name: &args.name,
                    account,
                    base_url: args.base_url.as_deref(),
                    api_key_env: &provider.api_key_env,
                    schema: "manifest.schema.json",
                    today: config.today,
                },
                None,
            );
            let mut stderr = crate::output::stderr();
            let Some(chosen_config) = tree.check(&text, context, &mut stderr)? else {
                return Ok(None);
            };
            let chosen_provider = &chosen_config.providers[&args.name];
            let client = ProviderClient::new(
                chosen_provider,
                &chosen_config.policies,
                endpoint,
                &declared,
            )?;
            let live = client.read(&scope).await?;
            Ok(Some((live, chosen_config)))
        }
        ProviderClient::Connecteam(c) => {
            let (company_name, company_id) = c.account().await?;
            *account = Account::Connecteam {
                company_name,
                company_id,
            };
            let live = client.read(&scope).await?;
            Ok(Some((live, config.clone())))
        }
    }
}

/// No single workspace: the list to choose from, as a usage error.
fn workspace_error(why: &Choice, found: &[(String, String)], args: &InitArgs) -> anyhow::Error {
    let list: String = found
        .iter()
        .map(|(id, name)| {
            format!(
                "\n  {}  {}",
                crate::escape::text(id),
                crate::escape::text(name)
            )
        })
        .collect();
    super::common::usage_error(match why {
        Choice::None => "the key can see no Clockify workspace; nothing was written".to_owned(),
        Choice::Several => format!(
            "the key can see {} Clockify workspaces; choose one with --workspace ID (nothing was written):{list}",
            found.len()
        ),
        Choice::NotFound => format!(
            "--workspace {}: the key can see no such workspace (nothing was written); it can see:{list}",
            crate::escape::text(args.workspace.as_deref().unwrap_or_default())
        ),
    })
}

/// Where the new file is checked: in the configuration directory with
/// the rest of the tree (as the file it will be, or, written elsewhere or
/// printed, as `providers.yaml` there); alone when the directory does not
/// exist yet.
struct Tree {
    dir: PathBuf,
    at: PathBuf,
    skip: Vec<PathBuf>,
}

impl Tree {
    fn new(dir: &Path, path: &Path, to_stdout: bool, seed: Option<PathBuf>) -> Self {
        let inside = (!to_stdout)
            .then(|| {
                let parent = path.parent()?.canonicalize().ok()?;
                let root = dir.canonicalize().ok()?;
                parent.starts_with(&root).then(|| path.to_path_buf())
            })
            .flatten();
        Self {
            dir: dir.to_path_buf(),
            at: inside.unwrap_or_else(|| dir.join("providers.yaml")),
            skip: seed.into_iter().collect(),
        }
    }

    /// The checked tree with `text` at its place, or `None` when it has
    /// errors (reported on `stderr`).
    fn check(
        &self,
        text: &str,
        context: &crate::context::Context,
        stderr: &mut crate::output::Out<anstream::Stderr>,
    ) -> Result<Option<crate::manifest::Config>> {
        let extra = [(self.at.clone(), text.to_owned())];
        let loaded = if self.dir.is_dir() {
            crate::discover::load_with(&self.dir, &self.skip, &extra, context)
        } else {
            let input = crate::manifest::Input {
                files: vec![(self.at.clone(), Ok(text.as_bytes().to_vec()))],
                ..Default::default()
            };
            crate::manifest::load(&self.dir, input, &context.manifest)
        };
        match loaded.config {
            Some(config) if !loaded.has_errors() => Ok(Some(config)),
            _ => {
                write!(
                    stderr,
                    "{}",
                    crate::diag::render_all(
                        &loaded.diagnostics,
                        &loaded.sources,
                        super::common::stderr_color()
                    )
                )?;
                writeln!(
                    stderr,
                    "error: the tree would not validate with the new providers.yaml in it; nothing was written"
                )?;
                Ok(None)
            }
        }
    }
}
