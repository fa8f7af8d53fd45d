//! An order's attributes as a workflow takes them: plain names, plain values (true/false, a
//! number, bounded text), and the declared type where the workflow declares the attribute.
//! Checked once at the boundary for every face (CLI, API), so guards never see a wrong type.

use std::collections::BTreeMap;

use serde_json::Value;

use super::definition::Workflow;
use crate::domain::text::display_safe;

/// The most attributes an order carries.
pub const MAX_ATTRIBUTES: usize = 64;
const MAX_NAME: usize = 64;
/// The longest text attribute, in bytes.
pub const MAX_ATTRIBUTE_TEXT: usize = 4096;

impl Workflow {
    /// Why `attrs` cannot be an order's attributes in this workflow, as one sentence.
    pub fn check_attributes(&self, attrs: &BTreeMap<String, Value>) -> Result<(), String> {
        if attrs.len() > MAX_ATTRIBUTES {
            return Err(format!(
                "an order has at most {MAX_ATTRIBUTES} attributes ({} given)",
                attrs.len()
            ));
        }
        for (name, value) in attrs {
            let plain = !name.is_empty()
                && name.len() <= MAX_NAME
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !plain {
                return Err(format!(
                    "attribute name \"{}\" must be 1 to {MAX_NAME} letters, digits, '_', '-' or '.'",
                    display_safe(&name.chars().take(80).collect::<String>())
                ));
            }
            check_value(name, value, self.attributes.get(name))?;
        }
        Ok(())
    }
}

fn check_value(name: &str, value: &Value, declared: Option<&Value>) -> Result<(), String> {
    let wrong = |expected: &str| Err(format!("attribute {name} must be {expected}"));
    match (value, declared) {
        (Value::Null | Value::Array(_) | Value::Object(_), _) => {
            wrong("true, false, a number or text")
        }
        (Value::String(text), _) if text.len() > MAX_ATTRIBUTE_TEXT => {
            wrong(&format!("at most {MAX_ATTRIBUTE_TEXT} bytes of text"))
        }
        (Value::Bool(_), Some(Value::Bool(_)) | None) => Ok(()),
        (_, Some(Value::Bool(_))) => wrong("true or false"),
        (Value::Number(n), Some(Value::Number(d))) if d.is_i64() && !n.is_i64() => {
            wrong("a whole number")
        }
        (Value::Number(_), Some(Value::Number(_)) | None) => Ok(()),
        (_, Some(Value::Number(d))) if d.is_i64() => wrong("a whole number"),
        (_, Some(Value::Number(_))) => wrong("a number"),
        (Value::String(_), _) => Ok(()),
        (_, Some(Value::String(_))) => wrong("text"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::workflow::Workflows;

    #[test]
    fn attributes_are_plain_and_of_their_declared_type() {
        let workflows = Workflows::shipped().unwrap();
        let shop = workflows.get("artist-shop").unwrap();
        let attrs = |pairs: &[(&str, serde_json::Value)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        assert!(
            shop.check_attributes(&attrs(&[("digital_only", json!(true))]))
                .is_ok()
        );
        let wrong = shop.check_attributes(&attrs(&[("digital_only", json!("yes please"))]));
        assert_eq!(
            wrong.unwrap_err(),
            "attribute digital_only must be true or false"
        );
        let nested = shop.check_attributes(&attrs(&[("x", json!({"a": 1}))]));
        assert!(
            nested
                .unwrap_err()
                .contains("true, false, a number or text")
        );
        let escape = shop.check_attributes(&attrs(&[("\u{1b}[2Jevil", json!(1))]));
        assert!(
            escape
                .unwrap_err()
                .starts_with("attribute name \"[2Jevil\"")
        );
        let long = shop.check_attributes(&attrs(&[("note", json!("x".repeat(5000)))]));
        assert!(long.is_err());
    }
}
