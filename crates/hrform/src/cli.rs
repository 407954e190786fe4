//! The command-line surface of the design ("Commands and exit codes"), as clap
//! types. Parsing only: each command's behaviour lives in `commands`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::context::ColorChoice;

/// GitOps for HR time-off administration: plan and apply Clockify and
/// Connecteam changes from YAML manifests kept in git.
#[derive(Debug, Parser)]
#[command(name = "hrform", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// The configuration directory option shared by commands that read manifests.
#[derive(Debug, Args, Clone)]
pub(crate) struct ConfigDir {
    /// Directory holding the manifests (every *.yaml / *.yml under it, recursively).
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check the manifests offline; no network call.
    Validate(ValidateArgs),
    /// Read the live state, diff it against the manifests and show the calls apply would make.
    Plan(PlanArgs),
    /// Make the planned calls.
    Apply(ApplyArgs),
    /// Write the live state of one provider as manifests.
    Export(ExportArgs),
    /// Write a starting providers.yaml from what an API key can see.
    Init(InitArgs),
    /// Rewrite the manifests in canonical form.
    Fmt(FmtArgs),
    /// Run the stateful emulator of the Clockify and Connecteam APIs.
    Sandbox(SandboxArgs),
    /// Print a JSON Schema (draft-07).
    Schema(SchemaArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print a man page (roff) on stdout: hrform(1), or hrform-COMMAND(1).
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The subcommand whose page to print (e.g. `plan`); the program's page without it.
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigDir,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Auto)]
    pub format: DiagnosticFormat,
}

/// Diagnostic renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiagnosticFormat {
    /// `github` when `GITHUB_ACTIONS=true`, else `text`.
    Auto,
    /// A report with the source line underlined, on stderr.
    Text,
    /// The versioned JSON report (schemas/diagnostics.schema.json).
    Json,
    /// GitHub workflow commands (annotations), then the full text report.
    Github,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
}

impl Cli {
    /// Settle what the environment decides for the options (`--format
    /// auto`), from the context read once at the edge.
    pub(crate) fn settle(&mut self, context: &crate::context::Context) {
        let format = match &mut self.command {
            Command::Validate(args) => &mut args.format,
            Command::Plan(args) => &mut args.format,
            Command::Apply(args) => &mut args.format,
            Command::Fmt(args) => &mut args.format,
            _ => return,
        };
        *format = format.resolve(context.github_actions);
    }
}

impl DiagnosticFormat {
    /// `auto` decided by the CI flavour (`GITHUB_ACTIONS=true`, read in
    /// the context).
    fn resolve(self, github_actions: bool) -> DiagnosticFormat {
        match self {
            DiagnosticFormat::Auto => {
                if github_actions {
                    DiagnosticFormat::Github
                } else {
                    DiagnosticFormat::Text
                }
            }
            other => other,
        }
    }
}

/// Plan renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Grouped by person, for terminals.
    Text,
    /// Versioned JSON (schemas/plan.schema.json).
    Json,
    /// A pull-request comment.
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigDir,
    /// How to render the plan on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// How to print diagnostics (on stderr: stdout holds the plan).
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Auto)]
    pub format: DiagnosticFormat,
    /// Also save the plan as JSON, for `apply PLANFILE`.
    #[arg(long, value_name = "PLANFILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes and 2 when there are.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Limit the plan to people, providers or policies.
    #[arg(long, value_name = "SELECTOR")]
    pub target: Vec<crate::plan::Target>,
    /// Start the sandbox in-process from this seed and point every provider at it.
    #[arg(long, value_name = "SEED")]
    pub sandbox: Option<PathBuf>,
    /// Evaluate the manifests as of this day (`YYYY-MM-DD`): dates, schedules
    /// and the leave year as on that day, the live state as read now. Such a
    /// plan is not for applying, so it cannot be saved with `--out`.
    #[arg(long, value_name = "DATE", conflicts_with = "out")]
    pub at: Option<jiff::civil::Date>,
    /// List the exact API calls in the text plan (as `-v` does; JSON and
    /// the PR comment always hold them).
    #[arg(long)]
    pub show_calls: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub config: ConfigDir,
    /// A plan saved with `plan --out`.
    pub planfile: Option<PathBuf>,
    /// Apply PLANFILE only if its SHA-256 is this (64 hex digits, optionally
    /// after `sha256:`: the `plan_sha256` of the reviewed comment's marker);
    /// otherwise exit 6 and touch nothing.
    #[arg(long, value_name = "HEX", requires = "planfile")]
    pub plan_sha256: Option<crate::plan::digest::PlanDigest>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Override the safety rules (protected users are never deactivated).
    #[arg(long)]
    pub force: bool,
    /// Apply only the changes due because a declared date (start or end
    /// date, `from`, a prorated or tenure allowance's new leave year) has
    /// arrived; list every other difference as drift and apply none of it.
    /// For a scheduled job: it re-plans, so it takes no PLANFILE.
    #[arg(long, conflicts_with = "planfile")]
    pub due_only: bool,
    /// Append-only JSON-lines journal (default .hrform/journal.jsonl under DIR).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Start the sandbox in-process from this seed and point every provider at it.
    #[arg(long, value_name = "SEED")]
    pub sandbox: Option<PathBuf>,
    /// How to print diagnostics (the manifests' errors and warnings).
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Auto)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub config: ConfigDir,
    /// The provider to export, by its name in the manifests (`providers:`).
    #[arg(long, value_name = "NAME")]
    pub provider: String,
    /// The directory to write `<provider>.export.yaml` into (default: the
    /// configuration directory, `-C`); `-` writes the manifest to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Export the time-off requests overlapping this date and later
    /// (`YYYY-MM-DD`; default: the first day of the current leave year).
    #[arg(long, value_name = "DATE")]
    pub since: Option<jiff::civil::Date>,
    /// Export the time-off requests overlapping this date and earlier
    /// (`YYYY-MM-DD`; default: the last day of the current leave year).
    #[arg(long, value_name = "DATE")]
    pub until: Option<jiff::civil::Date>,
    /// Replace export's own earlier output of this provider (the file and
    /// its `-N` parts, which are then not read as declaring anyone; parts no
    /// longer needed are removed). Without it, an existing file is an error
    /// and nothing is written.
    #[arg(long)]
    pub force: bool,
    /// Start the sandbox in-process from this seed and point every provider at it.
    #[arg(long, value_name = "SEED")]
    pub sandbox: Option<PathBuf>,
    /// Group people with identical time off (the same policies and
    /// allowances) into profiles named for their policies: two or more
    /// people share a profile; anyone else keeps their `time_off` inline.
    #[arg(long)]
    pub profiles: bool,
    /// `yaml` (default): per-person `users:` entries. `csv`: a roster table
    /// `<provider>.roster.csv` (email, name, status, leave group) and the
    /// manifest `<provider>.roster.yaml` that reads it (`rosters:`, one rule
    /// per leave group), printed too; time-off requests are not exported.
    #[arg(long, value_enum, default_value_t = ExportFormat::Yaml)]
    pub format: ExportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub config: ConfigDir,
    /// The HR system the key belongs to.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub provider_type: InitProviderType,
    /// The provider's name in the manifests (`provider:` elsewhere).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The file to write (default: `providers.yaml` in the configuration
    /// directory, `-C`); `-` prints it on stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Clockify: the workspace to declare, by id (or by name, when only one
    /// has it); needed when the key can see several.
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,
    /// The API base URL, written into the file (default: the vendor's
    /// global host; e.g. `https://euc1.clockify.me/api`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The environment variable holding the API key, written into the file
    /// (default `CLOCKIFY_API_KEY` or `CONNECTEAM_API_KEY`).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Replace the file if it exists (without it, an existing file is an
    /// error and nothing is written).
    #[arg(long)]
    pub force: bool,
    /// Start the sandbox in-process from this seed and ask it, with the seed's key.
    #[arg(long, value_name = "SEED")]
    pub sandbox: Option<PathBuf>,
}

/// The vendors `hrform init` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InitProviderType {
    /// A Clockify workspace.
    Clockify,
    /// A Connecteam account.
    Connecteam,
}

/// What `hrform export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    Yaml,
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    #[command(flatten)]
    pub config: ConfigDir,
    /// Write nothing; list the files that would change and exit 2 if any would.
    #[arg(long)]
    pub check: bool,
    /// Write nothing; print what would change as a unified diff.
    #[arg(long)]
    pub diff: bool,
    /// How to print diagnostics (the manifests' errors and warnings).
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Auto)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// The seed fixture (YAML) describing the emulated world; empty without it.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Fault injection, e.g. error_rate=0.1,throttle_rate=0.05,reset_rate=0.1,methods=POST+PUT,seed=7 (see docs/sandbox.md).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Vendor rate limits, e.g. clockify=50/s,connecteam=100/m.
    #[arg(long, value_name = "SPEC")]
    pub rate: Option<String>,
}

/// Which schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaKind {
    /// The manifests (schemas/manifest.schema.json).
    Manifest,
    /// The JSON plan (schemas/plan.schema.json).
    Plan,
    /// The sandbox seed fixture (schemas/sandbox.schema.json).
    Sandbox,
    /// The JSON diagnostics report (schemas/diagnostics.schema.json).
    Diagnostics,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// The schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::Manifest)]
    pub kind: SchemaKind,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
