//! Testing one condition against what a probe saw.

use crate::facts::Obs;
use crate::rules::Test;
use serde_json::Value;

/// Does the observation satisfy the test? `None`: unknown (unavailable).
pub fn holds(test: &Test, obs: &Obs, field: Option<&str>) -> Option<bool> {
    let v = match obs {
        Obs::Unavailable(_) => return None,
        Obs::Absent => return Some(holds_on_absent(test)),
        Obs::Seen(v) => v,
    };
    let v = match field {
        None => v,
        Some(f) => match v.get(f) {
            Some(x) if !x.is_null() => x,
            _ => return Some(holds_on_absent(test)),
        },
    };
    Some(match test {
        Test::Equals(want) => same(v, want),
        Test::NotEquals(want) => !same(v, want),
        Test::In(set) => set.iter().any(|w| same(v, w)),
        Test::NotIn(set) => !set.iter().any(|w| same(v, w)),
        Test::Matches(re) => re.is_match(&text(v)),
        Test::Exists(want) => *want,
        Test::Contains(item) => contains(v, item),
        Test::NotContains(item) => !contains(v, item),
        Test::NotContainsAll(items) => !items.iter().all(|i| contains(v, i)),
        Test::Empty(want) => {
            let empty = match v {
                Value::Array(a) => a.is_empty(),
                Value::String(s) => s.is_empty(),
                Value::Object(o) => o.is_empty(),
                Value::Null => true,
                _ => false,
            };
            empty == *want
        }
        Test::GreaterThan(n) => number(v).is_some_and(|x| x > *n as f64),
        Test::LessThan(n) => number(v).is_some_and(|x| x < *n as f64),
    })
}

/// Absent means "there is no such thing": positive tests fail, negative
/// ones hold.
fn holds_on_absent(test: &Test) -> bool {
    match test {
        Test::Exists(want) => !*want,
        Test::NotEquals(_) | Test::NotIn(_) | Test::NotContains(_) | Test::NotContainsAll(_) => {
            true
        }
        Test::Empty(want) => *want,
        _ => false,
    }
}

fn contains(v: &Value, item: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| same(i, item) || contains_obj(i, item)),
        Value::String(s) => s.contains(&text(item)),
        _ => false,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Equality that forgives a number written as a string (sysctls read as
/// text on some hosts) and compares numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), _) | (_, Value::Number(_)) => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
        _ => a == b,
    }
}

/// A list item that is an object matches a wanted object when every wanted
/// field is equal ("a profile with attach = /usr/bin/bwrap").
fn contains_obj(item: &Value, want: &Value) -> bool {
    match (item, want) {
        (Value::Object(i), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| i.get(k).is_some_and(|iv| same(iv, wv))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tests_hold_on_values_and_absence_and_are_unknown_when_unavailable() {
        let one = Obs::seen(1);
        assert_eq!(holds(&Test::Equals(json!(1)), &one, None), Some(true));
        assert_eq!(holds(&Test::Equals(json!("1")), &one, None), Some(true));
        assert_eq!(
            holds(&Test::Equals(json!(0)), &Obs::Absent, None),
            Some(false)
        );
        assert_eq!(
            holds(&Test::NotEquals(json!(0)), &Obs::Absent, None),
            Some(true)
        );
        assert_eq!(holds(&Test::Exists(false), &Obs::Absent, None), Some(true));
        assert_eq!(
            holds(&Test::Equals(json!(1)), &Obs::unavailable("x"), None),
            None
        );
        let exp = Obs::seen(json!({"ok": false, "step": "write uid_map", "errno": "EACCES"}));
        assert_eq!(
            holds(&Test::Equals(json!("EACCES")), &exp, Some("errno")),
            Some(true)
        );
        assert_eq!(
            holds(&Test::Equals(json!(false)), &exp, Some("ok")),
            Some(true)
        );
        let profiles =
            Obs::seen(json!([{"name": "bwrap", "attach": "/usr/bin/bwrap", "userns": true}]));
        assert_eq!(
            holds(
                &Test::Contains(json!({"attach": "/usr/bin/bwrap"})),
                &profiles,
                None
            ),
            Some(true)
        );
        assert_eq!(holds(&Test::Empty(false), &profiles, None), Some(true));
        assert_eq!(
            holds(&Test::GreaterThan(0), &Obs::seen(2), None),
            Some(true)
        );
        let six = Test::NotContainsAll(vec!["cap_sys_admin".into(), "cap_net_admin".into()]);
        let caps = |c: &[&str]| Obs::seen(serde_json::json!(c));
        assert_eq!(
            holds(&six, &caps(&["cap_sys_admin", "cap_chown"]), None),
            Some(true)
        );
        assert_eq!(
            holds(&six, &caps(&["cap_net_admin", "cap_sys_admin"]), None),
            Some(false)
        );
        assert_eq!(holds(&six, &Obs::Absent, None), Some(true));
        let re = regex::Regex::new("^Linux .*Microsoft").unwrap();
        assert_eq!(
            holds(
                &Test::Matches(re),
                &Obs::seen("Linux version 4.4.0-19041-Microsoft"),
                None
            ),
            Some(true)
        );
    }
}
