//! Bounds on untrusted guards: text length and bracket nesting before parsing, tree depth
//! after, and the comprehension budget charged while evaluating.

use std::sync::atomic::{AtomicU64, Ordering};

use cel::common::ast::{CallExpr, EntryExpr, Expr, LiteralValue};
use cel::{ExecutionError, IdedExpr, Value};

use super::*;

/// Length and bracket nesting, on the text, before the parser sees it. Brackets inside string
/// literals do not count; the tree depth check after parsing catches anything this misreads.
pub(super) fn check_text_bounds(source: &str) -> Result<(), GuardError> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(GuardError::TooLong {
            bytes: source.len(),
        });
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (index, c) in source.chars().enumerate() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_BRACKET_NESTING {
                    return Err(GuardError::NestedTooDeeply { column: index + 1 });
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Runs on the compiler thread: parse, bound the depth, check the names, add the budget.
pub(super) fn compile_tree(source: &str) -> Result<IdedExpr, GuardError> {
    let program = Program::compile(source).map_err(|e| GuardError::Syntax(e.to_string()))?;
    if depth(program.expression()) > MAX_EXPRESSION_DEPTH {
        return Err(GuardError::TooDeep);
    }
    if let Some(unknown) = program
        .references()
        .variables()
        .into_iter()
        .find(|name| !GUARD_VARIABLES.contains(name))
    {
        return Err(GuardError::UnknownField {
            field: unknown.to_string(),
        });
    }
    let mut tree = program.expression().clone();
    meter_comprehensions(&mut tree);
    Ok(tree)
}

/// The sub-expressions of `expr`.
fn children(expr: &IdedExpr) -> Vec<&IdedExpr> {
    match &expr.expr {
        Expr::Call(call) => call
            .target
            .as_deref()
            .into_iter()
            .chain(&call.args)
            .collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => map
            .entries
            .iter()
            .flat_map(|e| entry_children(&e.expr))
            .collect(),
        Expr::Struct(s) => s
            .entries
            .iter()
            .flat_map(|e| entry_children(&e.expr))
            .collect(),
        Expr::Select(select) => vec![&select.operand],
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    }
}

fn entry_children(entry: &EntryExpr) -> Vec<&IdedExpr> {
    match entry {
        EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
        EntryExpr::StructField(f) => vec![&f.value],
    }
}

/// Levels of the tree, walked without recursion (the tree may be deeper than any stack).
fn depth(root: &IdedExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(root, 1usize)];
    while let Some((expr, level)) = pending.pop() {
        deepest = deepest.max(level);
        pending.extend(children(expr).into_iter().map(|child| (child, level + 1)));
    }
    deepest
}

fn node_count(root: &IdedExpr) -> usize {
    let mut count = 0;
    let mut pending = vec![root];
    while let Some(expr) = pending.pop() {
        count += 1;
        pending.extend(children(expr));
    }
    count
}

/// Wraps every comprehension's range as `@budget(range, weight)`, weight being the size of
/// its loop body: the loop is charged items x weight before it runs. The range, not the loop
/// body, carries the charge because CEL defers errors of `exists()` steps and recognises
/// `map()` steps by their shape; an error from the range stops the comprehension at once.
fn meter_comprehensions(root: &mut IdedExpr) {
    let mut pending = vec![root];
    while let Some(expr) = pending.pop() {
        match &mut expr.expr {
            Expr::Comprehension(c) => {
                let weight = node_count(&c.loop_cond) + node_count(&c.loop_step);
                let range = std::mem::take(&mut c.iter_range);
                c.iter_range = IdedExpr {
                    id: range.id,
                    expr: Expr::Call(CallExpr {
                        func_name: BUDGET_FUNCTION.to_string(),
                        target: None,
                        args: vec![
                            range,
                            IdedExpr {
                                id: 0,
                                expr: Expr::Literal(LiteralValue::Int(
                                    i64::try_from(weight).unwrap_or(i64::MAX).into(),
                                )),
                            },
                        ],
                    }),
                };
                if let Expr::Call(call) = &mut c.iter_range.expr {
                    pending.extend(call.args.iter_mut());
                }
                pending.extend([
                    &mut c.accu_init,
                    &mut c.loop_cond,
                    &mut c.loop_step,
                    &mut c.result,
                ]);
            }
            Expr::Call(call) => {
                pending.extend(call.target.as_deref_mut());
                pending.extend(call.args.iter_mut());
            }
            Expr::List(list) => pending.extend(list.elements.iter_mut()),
            Expr::Map(map) => {
                for entry in &mut map.entries {
                    pending.extend(entry_children_mut(&mut entry.expr));
                }
            }
            Expr::Struct(s) => {
                for entry in &mut s.entries {
                    pending.extend(entry_children_mut(&mut entry.expr));
                }
            }
            Expr::Select(select) => pending.push(&mut select.operand),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

fn entry_children_mut(entry: &mut EntryExpr) -> Vec<&mut IdedExpr> {
    match entry {
        EntryExpr::MapEntry(e) => vec![&mut e.key, &mut e.value],
        EntryExpr::StructField(f) => vec![&mut f.value],
    }
}

/// Charges a loop over `range` to `spent`; fails once the total is over the budget.
pub(super) fn charge(spent: &AtomicU64, range: &Value, weight: i64) -> Result<(), ExecutionError> {
    let items = match range {
        Value::List(list) => list.len(),
        Value::Map(map) => map.map.len(),
        // Not iterable: the comprehension reports that itself.
        _ => 0,
    };
    let cost = u64::try_from(items)
        .unwrap_or(u64::MAX)
        .saturating_mul(u64::try_from(weight).unwrap_or(0).max(1));
    // Saturating, so the total stays over the budget once it is: `evaluate` reads it to tell
    // this error from CEL's own.
    let before = spent
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
            Some(s.saturating_add(cost))
        })
        .unwrap_or_else(|s| s);
    if before.saturating_add(cost) > EVALUATION_BUDGET {
        return Err(ExecutionError::function_error(
            BUDGET_FUNCTION,
            GuardError::OverBudget,
        ));
    }
    Ok(())
}
