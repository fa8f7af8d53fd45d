//! Reading a workflow from TOML and validating it, each problem located as `FILE:LINE:COL`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::ops::Range;

use chrono::{Duration, TimeZone, Utc};
use serde::Deserialize;
use toml::Spanned;

use super::definition::{NoteRule, Outcome, State, Transition, Workflow};
use super::effect::Effect;
use super::guard::{Expression, Guard, GuardFacts, Template};
use crate::domain::{Actor, Order, Role};

/// `from = ["*"]` means every non-terminal state.
pub const ANY_NON_TERMINAL: &str = "*";

/// One problem in a workflow file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem found in one file, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    name: Spanned<String>,
    label: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    counters: Vec<Spanned<String>>,
    #[serde(default)]
    attributes: BTreeMap<String, Spanned<toml::Value>>,
    late_states: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    states: Vec<Spanned<RawState>>,
    #[serde(default)]
    transitions: Vec<Spanned<RawTransition>>,
    #[serde(default)]
    board: RawBoard,
}

/// How the board presents the workflow: which states are disputes, where each role starts.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    disputes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    start: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: Spanned<String>,
    label: Option<String>,
    #[serde(default)]
    initial: bool,
    #[serde(default)]
    terminal: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    event: Spanned<String>,
    label: Option<String>,
    from: Spanned<Vec<Spanned<String>>>,
    to: Option<Spanned<String>>,
    refuse: Option<Spanned<String>>,
    roles: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    owner: bool,
    #[serde(default)]
    on_behalf: Vec<Spanned<String>>,
    guard: Option<Spanned<String>>,
    explain: Option<Spanned<String>>,
    #[serde(default)]
    counters: BTreeMap<String, Spanned<i64>>,
    #[serde(default)]
    effects: Vec<Spanned<String>>,
    note: Option<Spanned<String>>,
    after: Option<Spanned<String>>,
}

/// Turns byte offsets into 1-based line and column (in characters).
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<(usize, LoadError)>,
}

impl<'a> Locator<'a> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let offset = span.start.min(self.text.len());
        let (line, column) = line_column(self.text, offset);
        self.errors.push((
            offset,
            LoadError {
                file: self.file.to_string(),
                line,
                column,
                message: message.into(),
            },
        ));
    }

    fn finish(mut self) -> Result<(), LoadErrors> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|(offset, _)| *offset);
        Err(LoadErrors(
            self.errors.into_iter().map(|(_, e)| e).collect(),
        ))
    }
}

/// Parses and validates one workflow. `file` is only used to locate errors.
pub fn load_workflow(file: &str, text: &str) -> Result<Workflow, LoadErrors> {
    let mut at = Locator {
        file,
        text,
        errors: Vec::new(),
    };
    let raw: RawWorkflow = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let message = error.message().trim().replace('\n', " ");
            at.error(error.span().unwrap_or(0..0), message);
            return Err(LoadErrors(at.errors.into_iter().map(|(_, e)| e).collect()));
        }
    };
    let workflow = build(&raw, &mut at);
    at.finish()?;
    Ok(workflow)
}

fn build(raw: &RawWorkflow, at: &mut Locator<'_>) -> Workflow {
    let name = raw.name.get_ref().trim().to_string();
    if !is_identifier(&name) {
        at.error(
            raw.name.span(),
            format!("workflow name \"{name}\" must be letters, digits, '-' or '_'"),
        );
    }

    // States.
    let mut states: Vec<State> = Vec::new();
    let mut state_spans: HashMap<String, Range<usize>> = HashMap::new();
    for raw_state in &raw.states {
        let id = raw_state.get_ref().id.get_ref().trim().to_string();
        if id.is_empty() {
            at.error(raw_state.get_ref().id.span(), "state id must not be empty");
            continue;
        }
        if state_spans.contains_key(&id) {
            at.error(
                raw_state.get_ref().id.span(),
                format!("duplicate state id \"{id}\""),
            );
            continue;
        }
        state_spans.insert(id.clone(), raw_state.get_ref().id.span());
        states.push(State {
            label: raw_state
                .get_ref()
                .label
                .clone()
                .unwrap_or_else(|| id.clone()),
            id,
            initial: raw_state.get_ref().initial,
            terminal: raw_state.get_ref().terminal,
        });
    }
    if raw.states.is_empty() {
        at.error(0..0, "workflow has no states (add [[states]] tables)");
    }
    let initial: Vec<&Spanned<RawState>> =
        raw.states.iter().filter(|s| s.get_ref().initial).collect();
    match initial.len() {
        0 if !raw.states.is_empty() => at.error(
            raw.states[0].span(),
            "no initial state (mark exactly one state with initial = true)",
        ),
        0 | 1 => {}
        _ => {
            for extra in &initial[1..] {
                at.error(
                    extra.get_ref().id.span(),
                    format!(
                        "several initial states: \"{}\" and \"{}\" (exactly one may be initial)",
                        initial[0].get_ref().id.get_ref(),
                        extra.get_ref().id.get_ref()
                    ),
                );
            }
        }
    }
    for state in raw
        .states
        .iter()
        .filter(|s| s.get_ref().initial && s.get_ref().terminal)
    {
        at.error(
            state.get_ref().id.span(),
            format!(
                "state \"{}\" cannot be both initial and terminal",
                state.get_ref().id.get_ref()
            ),
        );
    }
    let terminal: HashSet<&str> = states
        .iter()
        .filter(|s| s.terminal)
        .map(|s| s.id.as_str())
        .collect();
    let known_state = |id: &str| state_spans.contains_key(id);

    // Counters and attributes.
    let mut counters: Vec<String> = Vec::new();
    for counter in &raw.counters {
        let name = counter.get_ref().trim().to_string();
        if !is_identifier(&name) || name.contains('-') {
            at.error(
                counter.span(),
                format!("counter name \"{name}\" must be letters, digits or '_'"),
            );
        } else if counters.contains(&name) {
            at.error(counter.span(), format!("duplicate counter \"{name}\""));
        } else {
            counters.push(name);
        }
    }
    let mut attributes = BTreeMap::new();
    for (key, value) in &raw.attributes {
        match toml_scalar_to_json(value.get_ref()) {
            Some(json) => {
                attributes.insert(key.clone(), json);
            }
            None => at.error(
                value.span(),
                format!("attribute \"{key}\" default must be a string, number or boolean"),
            ),
        }
    }

    let known_states =
        |list: &[Spanned<String>], what: &str, at: &mut Locator<'_>| -> Vec<String> {
            list.iter()
                .filter_map(|s| {
                    if known_state(s.get_ref()) {
                        Some(s.get_ref().clone())
                    } else {
                        at.error(
                            s.span(),
                            format!("{what} names unknown state \"{}\"", s.get_ref()),
                        );
                        None
                    }
                })
                .collect()
        };
    let late_states = match &raw.late_states {
        Some(list) => known_states(list, "late_states", at),
        None => states
            .iter()
            .filter(|s| !s.terminal)
            .map(|s| s.id.clone())
            .collect(),
    };

    let sample_facts = sample_facts(&counters, &attributes);
    let mut transitions = Vec::new();
    for raw_transition in &raw.transitions {
        // Kept even when it has errors, so the graph checks below see every edge and do not
        // report a cascade of unreachable states for one typo.
        transitions.push(build_transition(
            raw_transition,
            at,
            &states,
            &known_state,
            &terminal,
            &counters,
            &sample_facts,
        ));
    }

    let dispute_states = match &raw.board.disputes {
        Some(list) => known_states(list, "board.disputes", at),
        None => states
            .iter()
            .filter(|s| s.id.contains("disput"))
            .map(|s| s.id.clone())
            .collect(),
    };
    let mut start_states = BTreeMap::new();
    for (role, list) in &raw.board.start {
        match role.get_ref().parse::<Role>() {
            Ok(parsed) => {
                let states = known_states(list, "board.start", at);
                start_states.insert(parsed, states);
            }
            Err(error) => at.error(role.span(), format!("board.start: {error}")),
        }
    }

    let workflow = Workflow {
        label: raw.label.clone().unwrap_or_else(|| name.clone()),
        name,
        description: raw.description.clone(),
        states,
        counters,
        attributes,
        late_states,
        transitions,
        dispute_states,
        start_states,
    };
    check_graph(&workflow, &state_spans, at);
    workflow
}

#[allow(clippy::too_many_arguments)]
fn build_transition(
    raw: &Spanned<RawTransition>,
    at: &mut Locator<'_>,
    states: &[State],
    known_state: &dyn Fn(&str) -> bool,
    terminal: &HashSet<&str>,
    counters: &[String],
    sample: &GuardFacts,
) -> Transition {
    let t = raw.get_ref();
    let event = t.event.get_ref().trim().to_string();
    if event.is_empty() || event.chars().any(char::is_whitespace) {
        at.error(
            t.event.span(),
            format!("event name \"{event}\" must be one word"),
        );
    }

    let mut from = Vec::new();
    if t.from.get_ref().is_empty() {
        at.error(
            t.from.span(),
            format!("transition \"{event}\" has an empty from list"),
        );
    }
    for state in t.from.get_ref() {
        let id = state.get_ref().as_str();
        if id == ANY_NON_TERMINAL {
            if t.from.get_ref().len() > 1 {
                at.error(
                    state.span(),
                    "\"*\" (any non-terminal state) must stand alone in from",
                );
            }
            from.extend(states.iter().filter(|s| !s.terminal).map(|s| s.id.clone()));
        } else if !known_state(id) {
            at.error(
                state.span(),
                format!("transition \"{event}\" leaves unknown state \"{id}\""),
            );
        } else if terminal.contains(id) {
            at.error(
                state.span(),
                format!("transition \"{event}\" leaves terminal state \"{id}\" (terminal states have no way out)"),
            );
        } else {
            from.push(id.to_string());
        }
    }

    let outcome = match (&t.to, &t.refuse) {
        (Some(to), None) => {
            if !known_state(to.get_ref()) {
                at.error(
                    to.span(),
                    format!(
                        "transition \"{event}\" goes to unknown state \"{}\"",
                        to.get_ref()
                    ),
                );
            }
            Outcome::MoveTo(to.get_ref().clone())
        }
        (None, Some(message)) => {
            if !t.effects.is_empty() || !t.counters.is_empty() {
                at.error(message.span(), format!("transition \"{event}\" refuses, so it cannot have effects or counter changes"));
            }
            Outcome::Refuse(message.get_ref().clone())
        }
        (Some(_), Some(message)) => {
            at.error(
                message.span(),
                format!("transition \"{event}\" has both to and refuse (choose one)"),
            );
            Outcome::Refuse(message.get_ref().clone())
        }
        (None, None) => {
            at.error(raw.span(), format!("transition \"{event}\" needs a target (to = \"state\") or a refusal (refuse = \"message\")"));
            Outcome::Refuse(String::new())
        }
    };

    let parse_roles = |list: &[Spanned<String>], at: &mut Locator<'_>| -> Vec<Role> {
        list.iter()
            .filter_map(|role| match role.get_ref().parse::<Role>() {
                Ok(parsed) => Some(parsed),
                Err(error) => {
                    at.error(role.span(), error.to_string());
                    None
                }
            })
            .collect()
    };
    let roles = parse_roles(t.roles.get_ref(), at);
    if t.roles.get_ref().is_empty() {
        at.error(
            t.roles.span(),
            format!("transition \"{event}\" names no role that may take it"),
        );
    }
    let on_behalf = parse_roles(&t.on_behalf, at);
    if !on_behalf.is_empty() && !roles.iter().any(|r| r.party().is_some()) {
        at.error(
            t.on_behalf[0].span(),
            format!("transition \"{event}\" has on_behalf but names no customer or seller role to act for"),
        );
    }

    let guard = match &t.guard {
        Some(source) => {
            let explanation = match &t.explain {
                Some(text) => match Template::compile(text.get_ref()) {
                    Ok(template) => Some(template),
                    Err(error) => {
                        at.error(text.span(), format!("explain: {error}"));
                        None
                    }
                },
                None => None,
            };
            match Expression::compile(source.get_ref())
                .and_then(|condition| Guard::new(condition, explanation))
            {
                Ok(guard) => match guard.check_against(sample) {
                    Ok(()) => Some(guard),
                    Err(error) => {
                        let error = match error.strip_prefix("No such key: ") {
                            Some(key) => format!(
                                "refers to unknown key \"{key}\" (declare counters in counters = [...] and attributes under [attributes])"
                            ),
                            None => error,
                        };
                        at.error(
                            source.span(),
                            format!("guard `{}` {error}", source.get_ref()),
                        );
                        None
                    }
                },
                Err(error) => {
                    let (column, message) = cel_syntax_error(&error);
                    let span = source.span();
                    // Point into the guard string: past its opening quote, at CEL's column.
                    let start = span.start + 1 + column.saturating_sub(1);
                    at.error(
                        start..start,
                        format!("guard `{}` does not compile: {message}", source.get_ref()),
                    );
                    None
                }
            }
        }
        None => {
            if let Some(explain) = &t.explain {
                at.error(
                    explain.span(),
                    "explain without a guard (it explains a failed guard)",
                );
            }
            None
        }
    };

    let mut counter_changes = Vec::new();
    for (name, change) in &t.counters {
        if counters.contains(name) {
            counter_changes.push((name.clone(), *change.get_ref()));
        } else {
            at.error(change.span(), format!("transition \"{event}\" changes undeclared counter \"{name}\" (declare it in counters = [...])"));
        }
    }

    let mut effects = Vec::new();
    for effect in &t.effects {
        match effect.get_ref().parse::<Effect>() {
            Ok(parsed) => effects.push(parsed),
            Err(error) => at.error(effect.span(), error),
        }
    }

    let note = match t.note.as_ref().map(|n| (n.get_ref().as_str(), n.span())) {
        None | Some(("optional", _)) => NoteRule::Optional,
        Some(("required", _)) => NoteRule::Required,
        Some((other, span)) => {
            at.error(
                span,
                format!("note must be \"required\" or \"optional\", not \"{other}\""),
            );
            NoteRule::Optional
        }
    };

    let after = match &t.after {
        Some(text) => match parse_duration(text.get_ref()) {
            Ok(duration) => {
                if roles != [Role::System] {
                    at.error(
                        t.roles.span(),
                        format!("timer transition \"{event}\" must have roles = [\"system\"]"),
                    );
                }
                Some(duration)
            }
            Err(error) => {
                at.error(text.span(), error);
                None
            }
        },
        None => None,
    };

    Transition {
        label: t.label.clone().unwrap_or_else(|| event.clone()),
        event,
        from,
        outcome,
        roles,
        owner: t.owner,
        on_behalf,
        guard,
        counter_changes,
        effects,
        note,
        after,
    }
}

/// Unreachable states and non-terminal dead ends, located at the state's id.
fn check_graph(workflow: &Workflow, spans: &HashMap<String, Range<usize>>, at: &mut Locator<'_>) {
    let Some(initial) = workflow.states.iter().find(|s| s.initial) else {
        return;
    };
    let mut reached: HashSet<&str> = HashSet::from([initial.id.as_str()]);
    let mut queue = VecDeque::from([initial.id.as_str()]);
    while let Some(state) = queue.pop_front() {
        for transition in workflow.transitions.iter().filter(|t| t.leaves(state)) {
            if let Some(target) = transition.target()
                && reached.insert(target)
            {
                queue.push_back(target);
            }
        }
    }
    for state in &workflow.states {
        let span = spans.get(&state.id).cloned().unwrap_or(0..0);
        if !reached.contains(state.id.as_str()) {
            at.error(
                span.clone(),
                format!(
                    "state \"{}\" is unreachable from the initial state \"{}\"",
                    state.id, initial.id
                ),
            );
        }
        let has_exit = workflow
            .transitions
            .iter()
            .any(|t| t.leaves(&state.id) && t.target().is_some());
        if !state.terminal && !has_exit {
            at.error(span, format!("non-terminal state \"{}\" has no way out (add a transition or mark it terminal = true)", state.id));
        }
    }
}

/// A made-up order with every declared counter and attribute, to try guards on at load.
fn sample_facts(
    counters: &[String],
    attributes: &BTreeMap<String, serde_json::Value>,
) -> GuardFacts {
    let at = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let order = Order {
        id: 0,
        workflow: String::new(),
        state: String::new(),
        version: 1,
        customer: "customer".into(),
        seller: "seller".into(),
        title: String::new(),
        amount_cents: 0,
        currency: "EUR".into(),
        placed_at: at,
        due_at: Some(at),
        state_entered_at: at,
        attrs: BTreeMap::new(),
        counters: BTreeMap::new(),
    };
    GuardFacts::new(
        &order,
        &Actor::new("admin", Role::Admin),
        at,
        counters,
        attributes,
    )
}

/// `30s`, `5m`, `72h`, `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("duration \"{text}\" must be a whole number followed by s, m, h or d (like 72h)")
    };
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(unit_at);
    let number: i64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        _ => return Err(bad()),
    };
    if seconds <= 0 {
        return Err(bad());
    }
    Ok(Duration::seconds(seconds))
}

fn toml_scalar_to_json(value: &toml::Value) -> Option<serde_json::Value> {
    match value {
        toml::Value::String(s) => Some(serde_json::Value::String(s.clone())),
        toml::Value::Integer(i) => Some(serde_json::Value::from(*i)),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number),
        toml::Value::Boolean(b) => Some(serde_json::Value::Bool(*b)),
        _ => None,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// CEL reports `ERROR: <input>:1:9: Syntax error: ...` followed by a drawing of the line;
/// keep the column and the first sentence.
fn cel_syntax_error(error: &str) -> (usize, String) {
    let first = error
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(error)
        .trim();
    let Some(rest) = first.strip_prefix("ERROR: <input>:") else {
        return (1, first.to_string());
    };
    let mut parts = rest.splitn(3, ':');
    let _line = parts.next();
    let column = parts
        .next()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(1);
    let message = parts.next().unwrap_or(rest).trim();
    let message = message.strip_prefix("Syntax error: ").unwrap_or(message);
    (column, message.to_string())
}
