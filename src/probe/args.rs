//! Facts about the failing call's own arguments (no host reads).

use super::Context;
use crate::bwrap_args::{self, ArgKind, Op};
use crate::facts::Obs;
use serde_json::json;

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
        "args.bind_to:" => unsure(a.op_to(arg).map_or(Obs::Absent, |o| Obs::Seen(op_json(o)))),
        "args.bind_from:" => unsure(
            a.op_from(arg)
                .map_or(Obs::Absent, |o| Obs::Seen(op_json(o))),
        ),
        _ => Obs::unavailable(format!("no probe named {key}{arg}")),
    }
}
