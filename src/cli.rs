//! The command line as clap reads it: arguments and subcommands, nothing that runs them
//! (`run.rs` does).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::scenario::BrowserProfile;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BrowserArg {
    /// Chromium as it ships (default)
    Chromium,
    /// The letter of the WHATWG Fetch standard
    Standard,
}

impl From<BrowserArg> for BrowserProfile {
    fn from(arg: BrowserArg) -> Self {
        match arg {
            BrowserArg::Chromium => BrowserProfile::Chromium,
            BrowserArg::Standard => BrowserProfile::Standard,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    /// Colours on the terminal's own background
    Default,
    /// Bright text on black, for projectors
    HighContrast,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConvertTarget {
    /// {"CORSRules": [...]} as `aws s3api put-bucket-cors` takes it
    S3Json,
    /// <CORSConfiguration> XML for the REST API
    S3Xml,
    /// a bare array of rules, as the S3 console's editor takes it
    S3Console,
    /// CloudFormation/CDK's CorsConfiguration
    Cloudformation,
    /// Google Cloud Storage's CORS file, as `gcloud storage buckets update --cors-file` takes it
    Gcs,
    /// Azure's <Cors> XML for Set Blob Service Properties
    Azure,
    /// Azure Resource Manager JSON ({"corsRules": [...]}), as ARM templates and Bicep take it
    AzureJson,
    /// an API Gateway HTTP API's CorsConfiguration, as `aws apigatewayv2 update-api
    /// --cors-configuration` takes it
    HttpApi,
    /// a Lambda function URL's Cors, as `aws lambda update-function-url-config --cors` takes it
    FunctionUrl,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check CORS rules (a bucket's configuration, an API Gateway or function URL export, a
    /// CloudFormation/SAM template, or a scenario) for dangerous, broken and noisy entries.
    /// Exits 1 when something dangerous or broken is found.
    Audit {
        /// CORS configuration (S3, GCS or Azure, any spelling), AWS export, template or OpenAPI
        /// document, or scenario file; `-` reads standard input.
        file: PathBuf,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a browser's real preflight (and, for GET, HEAD and OPTIONS, the request itself) to
    /// a live server, then step through its real answers.
    Probe(ProbeArgs),
    /// Rewrite a CORS configuration in another spelling or for another provider (S3, GCS,
    /// Azure, an HTTP API, a function URL), naming what the target cannot express.
    Convert {
        /// The spelling to write.
        #[arg(long, value_enum)]
        to: ConvertTarget,
        /// CORS configuration (S3, GCS or Azure, any spelling; an HTTP API's or a function URL's,
        /// as an export, a template or an OpenAPI document); `-` reads standard input.
        file: PathBuf,
    },
    /// Run a lesson in a real browser next to the simulation: prints the URL to open and shows
    /// the lesson with what the browser did beside each request, live. With --check: in a
    /// headless Chromium it starts; exits 0 when every request agrees, 1 when one does not, 2
    /// when no browser starts or the lesson cannot run in one.
    Serve {
        /// Lesson name or number, or scenario file.
        file: PathBuf,
        /// Drive a headless Chromium through the lesson and compare, with no view.
        #[arg(long, conflicts_with_all = ["listen", "print"])]
        check: bool,
        /// The Chromium to start (default: chromium, chromium-browser or google-chrome on PATH).
        #[arg(long, value_name = "PATH", requires = "check")]
        chromium: Option<PathBuf>,
        /// Listen on this address instead of loopback, for a classroom network (each of the
        /// lesson's origins then gets a port of its own).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::IpAddr>,
        /// No view: print the URL, wait for the browser to run the lesson, print the comparison.
        #[arg(long, conflicts_with = "json")]
        print: bool,
        /// Like --print, but the comparison as JSON (with --check, one run; otherwise an array,
        /// one run per browser that opened the URL).
        #[arg(long)]
        json: bool,
        /// The longest wait between two requests to sit through, in seconds: the lab waits in
        /// real time.
        #[arg(long, value_name = "SECONDS", default_value_t = crate::lab::LONGEST_WAIT_SECONDS)]
        max_wait: u64,
    },
    /// List the lessons built into cors-tui, numbered in teaching order; `cors-tui lesson N`
    /// (or `cors-tui NAME`) opens one from any folder.
    Lessons,
    /// Open a built-in lesson by name or by its number in `cors-tui lessons`; with options,
    /// give the number or name as the file instead (`cors-tui --print 3`).
    Lesson {
        /// The lesson's name (`rule-order`) or number (`10`).
        name: String,
    },
    /// Print a completion script for a shell, e.g. `cors-tui completions bash >
    /// ~/.local/share/bash-completion/completions/cors-tui`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `cors-tui man > ~/.local/share/man/man1/cors-tui.1`.
    Man,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CredentialsArg {
    Omit,
    SameOrigin,
    Include,
}

impl CredentialsArg {
    pub fn name(self) -> &'static str {
        match self {
            CredentialsArg::Omit => "omit",
            CredentialsArg::SameOrigin => "same-origin",
            CredentialsArg::Include => "include",
        }
    }
}

/// `cors-tui probe`: what to ask a live server, and how to show the answer.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The URL the page would fetch.
    #[arg(required_unless_present = "scenario", conflicts_with = "scenario")]
    pub url: Option<String>,
    /// The page's origin, e.g. https://app.example.
    #[arg(
        long,
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub origin: Option<String>,
    /// The method fetch() is called with.
    #[arg(long, default_value = "GET", conflicts_with = "scenario")]
    pub method: String,
    /// A header the page sets, as 'Name: value' (repeatable).
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        conflicts_with = "scenario"
    )]
    pub headers: Vec<String>,
    /// fetch()'s credentials mode.
    #[arg(
        long,
        value_enum,
        default_value = "same-origin",
        conflicts_with = "scenario"
    )]
    pub credentials: CredentialsArg,
    /// Also send actual requests other than GET, HEAD and OPTIONS (they may change data).
    #[arg(long)]
    pub send_actual: bool,
    /// Follow a redirect from a public address into private, loopback or link-local space
    /// (by default the probe stops there).
    #[arg(long)]
    pub allow_private_redirects: bool,
    /// Seconds to wait for each exchange.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Bytes of each response body to keep (the verdict needs only the headers).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: u64,
    /// Extra root certificates (PEM), e.g. a local development CA; the system's stay trusted.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Run every request of this scenario against the live server instead of its simulated one.
    #[arg(long, value_name = "FILE", requires = "server_url")]
    pub scenario: Option<PathBuf>,
    /// With --scenario: the live server that takes the place of the scenario's server.
    #[arg(long, value_name = "URL", requires = "scenario")]
    pub server_url: Option<String>,
    /// Write the probe as a saved trace that opens again (`cors-tui FILE`); never over an
    /// existing file unless --force.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// With --save: replace the file if it exists.
    #[arg(long, requires = "save")]
    pub force: bool,
    /// Show cookies, authorization, API keys and URL tokens unmasked (output and --save).
    #[arg(long)]
    pub show_secrets: bool,
    /// Print the result as plain text.
    #[arg(long, conflicts_with = "json")]
    pub print: bool,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Indent the JSON.
    #[arg(long, requires = "json")]
    pub pretty: bool,
    /// Browser behaviour to judge the answers by.
    #[arg(long, value_enum)]
    pub browser: Option<BrowserArg>,
    /// Line width for --print.
    #[arg(long, value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
}

/// Step through the browser's CORS algorithm against an S3 bucket or any server.
#[derive(Debug, Parser)]
#[command(name = "cors-tui", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Scenario file (JSON); `-` reads standard input. Without one, the built-in basic lesson.
    pub file: Option<PathBuf>,

    /// Replace the scenario bucket's rules with these (S3 in any spelling, GCS's CORS JSON, or
    /// Azure's XML or ARM JSON), or its API Gateway or function URL layer with an AWS export,
    /// template or OpenAPI document; what the file is is detected from its content.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the execution table, variable tracker and verdicts as plain text.
    #[arg(long, conflicts_with = "json")]
    pub print: bool,

    /// Print the whole trace as one JSON document.
    #[arg(long, conflicts_with = "transcript")]
    pub json: bool,

    /// Print the lesson as Markdown: concepts, configuration, flow, table, tracker, key
    /// moments and quiz with answers.
    #[arg(long, conflicts_with = "print")]
    pub transcript: bool,

    /// Indent the JSON (the default on a terminal; piped output is one line).
    #[arg(long, requires = "json")]
    pub pretty: bool,

    /// For a recording, also list the entries that are not cross-origin CORS requests.
    #[arg(long)]
    pub all: bool,

    /// With --print: write the proven fix to FILE, ready to apply: a bucket's whole corrected
    /// configuration, every proven rule fix made, in the spelling it was given (with --config)
    /// or its CLI's, or the headers a server's first fixable request needs as nginx, Express
    /// and tower-http set them. Never replaces an existing file.
    #[arg(long, value_name = "FILE", requires = "print")]
    pub fix_out: Option<PathBuf>,

    /// With --print on a recording: `all` adds every step of every request after the report
    /// (the execution table, the tracker and the step-by-step explanations).
    #[arg(long, value_name = "WHICH", value_enum, requires = "print")]
    pub steps: Option<Steps>,

    /// With --print, only request N (1-based): its execution table, tracker, verdict, fix and
    /// steps, after running the requests before it.
    #[arg(long, value_name = "N")]
    pub request: Option<usize>,

    /// Show secrets from recordings (cookies, authorization, tokens in URLs) instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,

    /// Take the lesson's quiz (the scenario's questions plus questions computed from the trace).
    /// Piped, it prints the questions without answers.
    #[arg(long, conflicts_with_all = ["json", "print", "transcript"])]
    pub quiz: bool,

    /// Browser behaviour to simulate (overrides the scenario's "browser" key).
    #[arg(long, value_enum)]
    pub browser: Option<BrowserArg>,

    /// Colours for the interactive view (NO_COLOR turns colour off whatever this says).
    #[arg(long, value_enum, default_value = "default")]
    pub theme: ThemeArg,

    /// Line width for --print (default: the terminal's width, or 120 when piped).
    #[arg(long, value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
}

/// Which requests' steps `--print` shows for a recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Steps {
    /// Every step of every request, after the report.
    All,
}
