//! Data guards over an order, written in CEL (the Common Expression Language).
//!
//! Why CEL and not a home-made language: it is a published standard (used by Kubernetes,
//! Envoy and Google's IAM), non-Turing-complete with no side effects and guaranteed to end,
//! its syntax is what support staff already read in spreadsheets (`amount < 100.0 &&
//! days_since_placed < 7.0`), and the `cel` crate gives us a parser, an interpreter and the
//! list of names an expression references, which is what load-time validation needs.
//! The cost: its generated parser recurses deeply, so we compile each guard once, at load,
//! on a thread with a large stack (`COMPILER_THREAD`), and never per evaluation.
//!
//! Workflow files are untrusted input, so a guard is bounded before CEL sees it: its length
//! (`MAX_EXPRESSION_BYTES`) and bracket nesting (`MAX_BRACKET_NESTING`) before parsing, the
//! depth of the parsed tree (`MAX_EXPRESSION_DEPTH`, which the interpreter walks by recursion)
//! after, and each evaluation gets a budget of comprehension work (`EVALUATION_BUDGET`),
//! because "guaranteed to end" can still mean minutes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cel::{Context, IdedExpr, Program, Value};
use chrono::{DateTime, Utc};

use crate::domain::{Actor, Order};

mod bounds;

use bounds::{charge, check_text_bounds, compile_tree};

/// The names a guard may use; anything else is rejected when the workflow loads.
pub const GUARD_VARIABLES: &[&str] = &[
    "amount",
    "amount_cents",
    "currency",
    "days_since_placed",
    "hours_in_state",
    "now",
    "placed_at",
    "state_entered_at",
    "due_at",
    "counters",
    "attrs",
    "actor",
    "is_owner",
    "state",
    "customer",
    "seller",
];

// Guards read time spans in the units people set policies in ("refunds within 14 days").
const MILLISECONDS_PER_SECOND: f64 = 1_000.0;
const SECONDS_PER_HOUR: f64 = 3_600.0;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// Orders store amounts in cents; `amount` gives guards the same figure the board shows.
const CENTS_PER_UNIT: f64 = 100.0;

/// Stack for compiling: the generated CEL parser needs far more than a test thread's 2 MiB.
const COMPILE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The name of the thread guards compile on. A panic there is caught and reported as a load
/// error, so the program's panic hook leaves that thread's panics alone.
pub const COMPILER_THREAD: &str = "cel-compile";

/// Longest guard or explanation hole, in bytes. The shipped guards are under 200; a longer
/// one is more likely an attack than a policy.
pub const MAX_EXPRESSION_BYTES: usize = 4 * 1024;

/// Deepest nesting of `(`, `[` and `{`, checked on the text: CEL's parser panics or recurses
/// out of its stack on deep nesting before it can report anything.
pub const MAX_BRACKET_NESTING: usize = 32;

/// Deepest parsed expression: operator chains (`1 + 1 + ...`) nest without brackets, and the
/// interpreter recurses once per level on whatever thread evaluates the guard: an unoptimised
/// build needs about 40 KiB of stack per level, and tokio's workers have 2 MiB.
pub const MAX_EXPRESSION_DEPTH: usize = 32;

/// Comprehension work one evaluation may do, counted as items iterated times the size of the
/// loop body, charged before each loop runs. Enough for any guard over one order's data;
/// nested `exists()` over large lists is refused instead of running for minutes.
pub const EVALUATION_BUDGET: u64 = 1_000_000;

/// The function wrapped around every comprehension's range to charge the budget. `@` cannot
/// appear in CEL source, so no guard can call or shadow it.
const BUDGET_FUNCTION: &str = "@budget";

/// Why a guard or an explanation could not be compiled or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// CEL's own parse error, with its `ERROR: <input>:LINE:COL:` prefix and line drawing.
    #[error("{0}")]
    Syntax(String),
    #[error("is {bytes} bytes long; at most {MAX_EXPRESSION_BYTES} are allowed")]
    TooLong { bytes: usize },
    /// `column` is 1-based, in characters, where the nesting goes too deep.
    #[error("nests brackets more than {MAX_BRACKET_NESTING} deep")]
    NestedTooDeeply { column: usize },
    #[error("is nested more than {MAX_EXPRESSION_DEPTH} operations deep")]
    TooDeep,
    #[error(
        "needs more than its budget of {EVALUATION_BUDGET} steps (comprehensions over too many items)"
    )]
    OverBudget,
    #[error("could not start the guard compiler: {0}")]
    CompilerNotStarted(String),
    #[error("the guard compiler crashed on this expression")]
    CompilerCrashed,
    #[error("refers to unknown field \"{field}\" (known: {})", GUARD_VARIABLES.join(", "))]
    UnknownField { field: String },
    /// CEL's evaluation error, e.g. `No such key: typo`.
    #[error("{0}")]
    Evaluation(String),
    #[error("guard gives {0} instead of true or false")]
    NotBoolean(String),
    #[error("explanation has a \"{{\" without its closing \"}}\"")]
    UnclosedHole,
}

/// A compiled CEL expression with its source, shared between workflow copies.
#[derive(Clone)]
pub struct Expression {
    pub source: String,
    /// The parsed tree with every comprehension's range charged to the budget.
    tree: Arc<IdedExpr>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expression({:?})", self.source)
    }
}

impl Expression {
    /// Checks the bounds, parses `source` and checks that it names only guard variables.
    pub fn compile(source: &str) -> Result<Expression, GuardError> {
        check_text_bounds(source)?;
        let owned = source.to_string();
        // Everything that walks the parsed tree, dropping it included, happens on the big
        // stack: a tree too deep to keep is also too deep to drop on a small one.
        let tree = std::thread::Builder::new()
            .name(COMPILER_THREAD.into())
            .stack_size(COMPILE_STACK_BYTES)
            .spawn(move || compile_tree(&owned))
            .map_err(|e| GuardError::CompilerNotStarted(e.to_string()))?
            .join()
            .map_err(|_| GuardError::CompilerCrashed)??;
        Ok(Expression {
            source: source.to_string(),
            tree: Arc::new(tree),
        })
    }

    /// Evaluates within `EVALUATION_BUDGET`; going over it is `GuardError::OverBudget`.
    pub fn evaluate(&self, facts: &GuardFacts) -> Result<Value, GuardError> {
        let mut context = facts.context();
        let spent = Arc::new(AtomicU64::new(0));
        let meter = Arc::clone(&spent);
        context
            .add_function(BUDGET_FUNCTION, move |range: Value, weight: i64| {
                charge(&meter, &range, weight).map(|()| range)
            })
            .map_err(|e| GuardError::Evaluation(e.to_string()))?;
        let outcome = Value::resolve(&self.tree, &context);
        if spent.load(Ordering::Relaxed) > EVALUATION_BUDGET {
            return Err(GuardError::OverBudget);
        }
        outcome.map_err(|e| GuardError::Evaluation(e.to_string()))
    }
}

/// The values a guard sees for one order, actor and moment.
pub struct GuardFacts {
    variables: Vec<(&'static str, Value)>,
}

impl GuardFacts {
    /// `declared_attrs` fills attributes the order does not carry, so guards can rely on them;
    /// `declared_counters` likewise start at zero.
    pub fn new(
        order: &Order,
        actor: &Actor,
        now: DateTime<Utc>,
        declared_counters: &[String],
        declared_attrs: &BTreeMap<String, serde_json::Value>,
    ) -> GuardFacts {
        let mut counters: HashMap<String, Value> = declared_counters
            .iter()
            .map(|name| (name.clone(), Value::Int(0)))
            .collect();
        for (name, value) in &order.counters {
            counters.insert(name.clone(), Value::Int(*value));
        }
        let mut attrs: HashMap<String, Value> = declared_attrs
            .iter()
            .map(|(k, v)| (k.clone(), json_to_cel(v)))
            .collect();
        for (name, value) in &order.attrs {
            attrs.insert(name.clone(), json_to_cel(value));
        }
        let actor_map: HashMap<String, Value> = HashMap::from([
            ("name".to_string(), Value::from(actor.name.clone())),
            ("role".to_string(), Value::from(actor.role.as_str())),
        ]);
        let seconds =
            |from: DateTime<Utc>| (now - from).num_milliseconds() as f64 / MILLISECONDS_PER_SECOND;
        let variables = vec![
            (
                "amount",
                Value::Float(order.amount_cents as f64 / CENTS_PER_UNIT),
            ),
            ("amount_cents", Value::Int(order.amount_cents)),
            ("currency", Value::from(order.currency.clone())),
            (
                "days_since_placed",
                Value::Float(seconds(order.placed_at) / SECONDS_PER_DAY),
            ),
            (
                "hours_in_state",
                Value::Float(seconds(order.state_entered_at) / SECONDS_PER_HOUR),
            ),
            ("now", timestamp(now)),
            ("placed_at", timestamp(order.placed_at)),
            ("state_entered_at", timestamp(order.state_entered_at)),
            ("due_at", order.due_at.map(timestamp).unwrap_or(Value::Null)),
            ("counters", Value::from(counters)),
            ("attrs", Value::from(attrs)),
            ("actor", Value::from(actor_map)),
            ("is_owner", Value::Bool(order.is_owned_by(actor))),
            ("state", Value::from(order.state.clone())),
            ("customer", Value::from(order.customer.clone())),
            ("seller", Value::from(order.seller.clone())),
        ];
        GuardFacts { variables }
    }

    fn context(&self) -> Context<'_, '_> {
        let mut context = Context::default();
        for (name, value) in &self.variables {
            context.add_variable_from_value(*name, value.clone());
        }
        context
    }
}

fn timestamp(at: DateTime<Utc>) -> Value {
    Value::Timestamp(at.fixed_offset())
}

fn json_to_cel(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::from(s.clone()),
        serde_json::Value::Array(items) => {
            Value::from(items.iter().map(json_to_cel).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => Value::from(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_cel(v)))
                .collect::<HashMap<String, Value>>(),
        ),
    }
}

/// A guard: a boolean expression, and how to explain to a person why it does not hold.
#[derive(Clone, Debug)]
pub struct Guard {
    pub condition: Expression,
    explanation: Template,
}

/// What evaluating a guard found.
#[derive(Clone, Debug, PartialEq)]
pub enum GuardVerdict {
    Holds,
    /// Does not hold; the text names the values that failed it.
    Fails(String),
}

impl Guard {
    /// Without an explicit explanation, the guard explains itself as its source followed by
    /// the current value of each field it reads, compiled now so no check compiles anything.
    pub fn new(condition: Expression, explanation: Option<Template>) -> Result<Guard, GuardError> {
        let explanation = match explanation {
            Some(template) => template,
            None => {
                let mut parts = vec![TemplatePart::Text(format!("needs {}", condition.source))];
                let fields = referenced_fields(&condition.source);
                for (index, field) in fields.iter().enumerate() {
                    let opening = if index == 0 { " (" } else { ", " };
                    parts.push(TemplatePart::Text(format!("{opening}{field} = ")));
                    parts.push(TemplatePart::Hole(Expression::compile(field)?));
                }
                if !fields.is_empty() {
                    parts.push(TemplatePart::Text(")".into()));
                }
                Template { parts }
            }
        };
        Ok(Guard {
            condition,
            explanation,
        })
    }

    pub fn check(&self, facts: &GuardFacts) -> GuardVerdict {
        match self.condition.evaluate(facts) {
            Ok(Value::Bool(true)) => GuardVerdict::Holds,
            Ok(Value::Bool(false)) => GuardVerdict::Fails(self.explanation.render(facts)),
            Ok(other) => GuardVerdict::Fails(format!(
                "guard `{}` gave {} instead of true or false",
                self.condition.source,
                render_value(&other)
            )),
            Err(error) => GuardVerdict::Fails(format!(
                "guard `{}` could not be evaluated: {error}",
                self.condition.source
            )),
        }
    }

    /// Evaluates the guard and its explanation once on sample facts, so a workflow load
    /// rejects fields that do not exist (`counters.typo`) and values of the wrong type.
    pub fn check_against(&self, facts: &GuardFacts) -> Result<(), GuardError> {
        match self.condition.evaluate(facts)? {
            Value::Bool(_) => {}
            other => return Err(GuardError::NotBoolean(render_value(&other))),
        }
        self.explanation.check(facts)
    }
}

/// Fields a guard reads (`counters.x`, `attrs.y`, `amount`), in the order written, for the
/// default explanation. String literals are skipped so their words are not taken for names.
fn referenced_fields(source: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut in_string: Option<char> = None;
    let flush = |current: &mut String, fields: &mut Vec<String>| {
        let root = current.split('.').next().unwrap_or("");
        let is_field = GUARD_VARIABLES.contains(&root)
            && !matches!(root, "now" | "actor" | "counters" | "attrs")
            || (matches!(root, "counters" | "attrs") && current.contains('.'));
        if is_field && !fields.contains(current) {
            fields.push(current.clone());
        }
        current.clear();
    };
    for c in source.chars() {
        if let Some(quote) = in_string {
            if c == quote {
                in_string = None;
            }
            continue;
        }
        if c == '"' || c == '\'' {
            flush(&mut current, &mut fields);
            in_string = Some(c);
        } else if c.is_alphanumeric() || c == '_' || (c == '.' && !current.is_empty()) {
            current.push(c);
        } else {
            flush(&mut current, &mut fields);
        }
    }
    flush(&mut current, &mut fields);
    fields
}

pub fn render_value(value: &Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => {
            let text = format!("{f:.2}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        Value::String(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "none".into(),
        Value::Timestamp(t) => t.to_rfc3339(),
        other => format!("{other:?}"),
    }
}

/// A message with `{expression}` holes, e.g. `payment attempts: {counters.payment_attempts} of 3`.
#[derive(Clone, Debug)]
pub struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
enum TemplatePart {
    Text(String),
    Hole(Expression),
}

impl Template {
    pub fn compile(source: &str) -> Result<Template, GuardError> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find('{') {
            if start > 0 {
                parts.push(TemplatePart::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 1..];
            let end = after.find('}').ok_or(GuardError::UnclosedHole)?;
            parts.push(TemplatePart::Hole(Expression::compile(&after[..end])?));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, facts: &GuardFacts) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                TemplatePart::Text(text) => text.clone(),
                TemplatePart::Hole(expression) => match expression.evaluate(facts) {
                    Ok(value) => render_value(&value),
                    Err(_) => format!("{{{}}}", expression.source),
                },
            })
            .collect()
    }

    /// Evaluates every hole, so a load can reject holes that name unknown fields.
    pub fn check(&self, facts: &GuardFacts) -> Result<(), GuardError> {
        for part in &self.parts {
            if let TemplatePart::Hole(expression) = part {
                expression.evaluate(facts)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
