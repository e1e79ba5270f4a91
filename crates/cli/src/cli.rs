//! Command-line definitions. Every flag has help a new user can follow.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rampart_findings::{Severity, Status};

const AFTER_HELP: &str = "\
SECURITY SCORE
  0-100, the severity-weighted share of evaluations that pass:
    score = 100 x sum(weight of passing) / sum(weight of pass + fail + error)
    weights: critical 10, high 5, medium 3, low 1, info 0
  A check that could not be made (error) counts against the score; muted
  findings (accepted risk) count on neither side. Rounded down to 0.1.

EXIT CODES
  0  clean (no failing finding at or above --fail-on)
  1  a failing finding at or above --fail-on exists
  2  error (bad input, bad rule, store or collection failure)

EXAMPLES
  rampart scan                                  scan AWS with the default credentials
  rampart scan --org --org-role SecurityAudit   scan every account of the organization
  rampart scan --inventory examples/inventory.json --fail-on high
  rampart findings --severity critical,high     failing findings of the latest scan
  rampart rules show s3-bucket-public-read --lang ko
  rampart compliance isms-p-2023 --status fail --lang ko";

/// Rampart: find risky cloud configuration, prove compliance, catch attacks.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// SQLite database holding scan history (default: the user's data directory).
    #[arg(long, global = true, env = "RAMPART_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Extra directory of custom rules (*.yaml), loaded beside the built-in ones. Repeatable.
    #[arg(long = "rules", global = true, value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,

    /// Language of titles and texts.
    #[arg(long, global = true, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect an inventory (or read one), evaluate every rule, store and print the result.
    Scan(ScanArgs),
    /// Query the findings of the latest (or a given) scan.
    Findings(FindingsArgs),
    /// List past scans, newest first.
    Scans(ScansArgs),
    /// List, show, test and validate rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Where the latest scan stands on each compliance framework, or requirement by requirement on one.
    Compliance(crate::cmd::compliance::ComplianceArgs),
    /// Accept a risk: mute findings by rule, resource, account, region or tag, with a reason, owner and expiry.
    #[command(subcommand)]
    Mute(MuteCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Evaluate a saved inventory (JSON) instead of collecting from AWS.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// Also write the collected inventory to FILE (JSON), to evaluate later with --inventory.
    #[arg(long, value_name = "FILE")]
    pub save_inventory: Option<PathBuf>,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub out: OutputArgs,

    /// Exit 1 when a failing finding at or above this severity exists.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,

    /// Do not record this scan in the database.
    #[arg(long)]
    pub no_store: bool,

    /// Evaluate only the custom rules given with --rules (skip the built-in ones).
    #[arg(long)]
    pub no_builtin_rules: bool,

    /// Tag key that marks personal data when set to true/yes/1 (default: contains_pii). Repeatable.
    #[arg(long = "pii-tag", value_name = "KEY")]
    pub pii_tags: Vec<String>,
}

/// Where and what to collect. Credentials come from the standard AWS chain.
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Named profile from the shared AWS config and credentials files.
    #[arg(long, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Assume this role before scanning.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// External id for --role-arn.
    #[arg(long, value_name = "ID", requires = "role_arn")]
    pub external_id: Option<String>,

    /// Regions to scan, comma separated (default: every enabled region).
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    pub regions: Vec<String>,

    /// Services to scan, comma separated (default: all), e.g. s3,iam,ec2.
    #[arg(long, value_delimiter = ',', value_name = "SERVICES")]
    pub services: Vec<String>,

    /// Scan every active account of the AWS Organization. The credentials must be the
    /// management account's (or a delegated administrator's): they list the accounts, scan
    /// their own account, and enter each other account through --org-role. Suspended accounts
    /// and roles that cannot be assumed are reported, and the other accounts are still scanned.
    #[arg(long)]
    pub org: bool,

    /// With --org: the role assumed in each member account.
    #[arg(long, value_name = "NAME", default_value = rampart_collect::DEFAULT_ORG_ROLE, requires = "org")]
    pub org_role: String,

    /// With --org: external id passed when assuming --org-role.
    #[arg(long, value_name = "ID", requires = "org")]
    pub org_external_id: Option<String>,

    /// With --org: accounts scanned at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..), requires = "org")]
    pub max_accounts_parallel: u16,

    /// With --org: scan only these account ids, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "IDS", requires = "org")]
    pub org_accounts: Vec<String>,

    /// With --org: skip these account ids, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "IDS", requires = "org")]
    pub exclude_accounts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the output to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// In tables, also list passing findings.
    #[arg(long)]
    pub show_pass: bool,
}

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Scan id (default: the latest completed scan).
    #[arg(long, value_name = "ID")]
    pub scan: Option<i64>,

    /// Only these statuses, comma separated (pass, fail, error, muted).
    #[arg(long, value_delimiter = ',', value_parser = parse_status)]
    pub status: Vec<Status>,

    /// Only these severities, comma separated.
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<Severity>,

    /// Only this severity and above.
    #[arg(long, value_parser = parse_severity, value_name = "SEVERITY")]
    pub min_severity: Option<Severity>,

    /// Only these services, comma separated (s3, iam, ec2, ...).
    #[arg(long, value_delimiter = ',')]
    pub service: Vec<String>,

    /// Only these rule ids, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub rule: Vec<String>,

    /// Only resources whose uid or name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub resource: Option<String>,

    /// Only these regions, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub region: Vec<String>,

    /// Only these accounts, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub account: Vec<String>,

    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ScansArgs {
    /// How many scans to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules (built-in and those from --rules).
    List {
        /// Only rules of these services, comma separated.
        #[arg(long, value_delimiter = ',')]
        service: Vec<String>,
        /// Only these severities, comma separated.
        #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
        severity: Vec<Severity>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show everything about one rule: texts, condition, remediation, tests.
    Show {
        /// The rule id, e.g. s3-bucket-public-read.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run the rules' inline test cases (all rules, or only those in DIR).
    Test {
        /// A directory of custom rules to test instead of all loaded rules.
        dir: Option<PathBuf>,
    },
    /// Check rule files and report every error with file:line:column (exit 2 on errors).
    Validate {
        /// A directory of rules to validate (default: all loaded rules).
        dir: Option<PathBuf>,
    },
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

#[derive(Debug, Subcommand)]
pub enum MuteCommand {
    /// Mute the failing findings that match every criterion given.
    #[command(after_help = "EXAMPLES
  rampart mute add --rule s3-bucket-versioning-off --resource arn:aws:s3:::scratch \\
      --reason \"scratch data, rebuilt nightly\" --owner data-platform --expires 2027-03-31
  rampart mute add --rule 'iam-user-*' --tag team=sandbox --reason \"sandbox accounts\" \\
      --owner secops --expires +90d")]
    Add(MuteAddArgs),
    /// List mutes in force (and, with --all, expired and removed ones).
    List {
        /// Also list expired and removed mutes.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Remove a mute (kept in the database for audit).
    Remove {
        /// The mute's id, from `rampart mute list`.
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct MuteAddArgs {
    /// Rule id, or a prefix ending in `*` (quote it), e.g. 'iam-user-*'.
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,

    /// Resource uid (ARN) or name.
    #[arg(long, value_name = "UID|NAME")]
    pub resource: Option<String>,

    /// Account id.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// Region (`global` for account-wide resources).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Resource tag: KEY=VALUE, or KEY for any value.
    #[arg(long, value_name = "KEY[=VALUE]")]
    pub tag: Option<String>,

    /// Why the risk is accepted (required).
    #[arg(long)]
    pub reason: String,

    /// Who owns the decision (required): a person or team.
    #[arg(long)]
    pub owner: String,

    /// When the mute lapses (required): YYYY-MM-DD (end of that day, UTC),
    /// an RFC 3339 time, or +Nd for N days from now.
    #[arg(long, value_name = "DATE")]
    pub expires: String,
}
