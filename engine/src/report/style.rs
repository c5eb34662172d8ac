//! The text styles of the human reports, as ANSI colours. Whether to
//! colour is the caller's decision (the binary decides once, from its flag,
//! `NO_COLOR` and the terminal), passed down as a `bool`.

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

/// `text` in `style` when `on` (ANSI SGR codes), else as it is.
#[must_use]
pub fn paint_if(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_string()
    }
}
