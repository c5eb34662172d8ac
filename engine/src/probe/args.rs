//! Facts about the failing call's own arguments (no host reads).

use super::Context;
use crate::bwrap_args::{self, ArgKind, Op};
use crate::facts::Obs;
use serde_json::{Value, json};

fn op_json(o: &Op) -> serde_json::Value {
    json!({
        "option": o.name,
        "src": o.arg(ArgKind::Src).or(o.arg(ArgKind::Target)).unwrap_or(""),
        "dest": o.arg(ArgKind::Dest).unwrap_or(""),
    })
}

pub fn derive(ctx: &Context, key: &str, arg: &str) -> Obs {
    if key == "args.option_since:" {
        return match bwrap_args::spec(arg) {
            Some(s) => Obs::seen(s.since),
            None => Obs::Absent,
        };
    }
    if key == "args.shows:" && ctx.args.is_none() {
        // Unknown arguments show nothing at any path.
        return Obs::seen(false);
    }
    let Some(a) = &ctx.args else {
        return Obs::unavailable("the call's arguments are not known");
    };
    let partial = !a.unread_args_fds.is_empty();
    let unsure = |o: Obs| {
        if partial && matches!(o, Obs::Absent | Obs::Seen(serde_json::Value::Bool(false))) {
            Obs::unavailable(
                "part of the arguments came through an --args pipe that cannot be read back",
            )
        } else {
            o
        }
    };
    match key {
        "args.namespaces" => unsure(Obs::seen(a.namespaces())),
        "args.has:" => unsure(Obs::seen(a.has(arg))),
        "args.unknown_options" => Obs::seen(a.unknown.clone()),
        "args.covers:" | "args.shows:" => unsure(Obs::seen(a.covers(arg))),
        "args.bind_to:" => unsure(a.op_to(arg).map_or(Obs::Absent, |o| Obs::Seen(op_json(o)))),
        "args.bind_from:" => unsure(
            a.op_from(arg)
                .map_or(Obs::Absent, |o| Obs::Seen(op_json(o))),
        ),
        _ => Obs::unavailable(format!("no probe named {key}{arg}")),
    }
}

/// Is the bwrap that ran recent enough for `option`? From its version and
/// the release that introduced the option. `--bind-fd`/`--ro-bind-fd` were
/// also backported to 0.6.3 and Debian's 0.8.0-2+deb12u1, which still says
/// 0.8.0: for those the version cannot tell.
pub fn knows_option(facts: &crate::probe::Facts, option: &str) -> Obs {
    let Some(spec) = bwrap_args::spec(option) else {
        return Obs::seen(false);
    };
    let version = match facts.get("bwrap.version") {
        Obs::Seen(serde_json::Value::String(v)) => v,
        Obs::Seen(other) => other.to_string(),
        other => {
            return Obs::unavailable(format!(
                "the bwrap version is not known: {}",
                other.describe()
            ));
        }
    };
    if matches!(option, "--bind-fd" | "--ro-bind-fd") && !bwrap_args::version_lt(&version, "0.6.3")
    {
        return Obs::unavailable(
            "--bind-fd was backported to some older releases; the version cannot tell",
        );
    }
    Obs::seen(!bwrap_args::version_lt(&version, spec.since))
}

/// The namespaces the call asks for that the kernel lacks (clone answers
/// EINVAL for a kind it was built without).
pub fn unsupported_namespaces(facts: &crate::probe::Facts) -> Obs {
    let asked = facts.get("args.namespaces");
    let have = facts.get("kernel.namespaces");
    let (Some(Value::Array(asked)), Some(Value::Array(have))) = (asked.value(), have.value())
    else {
        return Obs::unavailable(format!(
            "needs the namespaces asked for ({}) and the kernel's ({})",
            asked.describe(),
            have.describe()
        ));
    };
    let missing: Vec<Value> = asked
        .iter()
        .filter(|k| !have.contains(k))
        .cloned()
        .collect();
    Obs::seen(missing)
}

/// Does the call put the interpreter of `program` in the sandbox?
pub fn covers_interpreter(facts: &crate::probe::Facts, program: &str) -> Obs {
    match facts.get(&format!("file.interpreter:{program}")) {
        Obs::Seen(serde_json::Value::String(interp)) => facts.get(&format!("args.covers:{interp}")),
        Obs::Absent => Obs::unavailable(format!("{program} needs no interpreter")),
        other => Obs::unavailable(format!(
            "the interpreter of {program}: {}",
            other.describe()
        )),
    }
}
