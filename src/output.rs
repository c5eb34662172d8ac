//! How the command line talks to people: one `bwrap-doctor: ` prefix per
//! error, and color decided once (flag, `NO_COLOR`, `TERM=dumb`, terminal).

use std::io::IsTerminal;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

static COLOR: OnceLock<bool> = OnceLock::new();

/// Decide once, for the stream the report goes to.
pub fn init_color(choice: ColorChoice, stream_is_terminal: bool) -> bool {
    *COLOR.get_or_init(|| should_color(choice, stream_is_terminal))
}

/// The rule, as a pure function (`NO_COLOR` wins over a terminal; an
/// explicit `--color always` wins over everything).
pub fn should_color(choice: ColorChoice, stream_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            // NO_COLOR, or `no_color = true` in the configuration file.
            let no_color = crate::config::current().no_color;
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            !no_color && !dumb && stream_is_terminal
        }
    }
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

fn enabled() -> bool {
    *COLOR.get().unwrap_or(&false)
}

/// Text styles used in reports.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    Bold,
    Ok,
    Warn,
    Fail,
    Dim,
    Code,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Ok => "32",
            Style::Warn => "33",
            Style::Fail => "1;31",
            Style::Dim => "2",
            Style::Code => "36",
        }
    }
}

/// `text` in `style` when color is on.
pub fn paint(style: Style, text: &str) -> String {
    paint_if(enabled(), style, text)
}

pub fn paint_if(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_string()
    }
}

/// Print an error once, with the prefix, to stderr.
pub fn error(msg: &str) {
    eprintln!("bwrap-doctor: {msg}");
}

/// Print a warning once, with the prefix, to stderr.
pub fn warn(msg: &str) {
    eprintln!("bwrap-doctor: warning: {msg}");
}
