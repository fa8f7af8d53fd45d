//! The commands that read or change the database.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::args::{
    AdvanceArgs, CreateOrderArgs, HistoryArgs, InitArgs, ListOrdersArgs, SeedArgs, TickArgs,
    UserCommand,
};
use super::context::{Context, service_error};
use super::exit::{CliError, ExitKind};
use super::output;
use crate::auth::Secret;
use crate::backoffice::{Backoffice, OrderDraft, ServiceError};
use crate::demo;
use crate::domain::access::Permission;
use crate::domain::order::parse_amount_cents;
use crate::domain::{Actor, OrderId, Role};
use crate::store::{OpenMode, OrderQuery};

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn parse_order_id(text: &str) -> Result<OrderId, CliError> {
    text.trim_start_matches('#')
        .parse::<OrderId>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            CliError::bad_input(format!("\"{text}\" is not an order id (a positive number)"))
        })
}

pub fn parse_time(flag: &str, text: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            CliError::bad_input(format!(
                "{flag} \"{text}\" is not an RFC 3339 time like 2026-05-01T12:00:00Z ({e})"
            ))
        })
}

pub async fn init(context: &Context, args: &InitArgs) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::CreateIfMissing).await?;
    let url = context.database_url()?;
    if !args.demo {
        println!("{url}: schema is up to date");
        return Ok(());
    }
    if backoffice
        .store
        .user_count()
        .await
        .map_err(|e| service_error(e.into()))?
        > 0
    {
        println!(
            "{url}: already has users; demo data is only added to a fresh database (nothing changed)"
        );
        return Ok(());
    }
    let summary = demo::create_demo(&backoffice, args.orders, now(), 2026)
        .await
        .map_err(service_error)?;
    println!(
        "{url}: demo data created: {} orders, {} transitions",
        summary.orders, summary.transitions
    );
    println!("Demo sign-ins (user / password / role):");
    for (name, role, password) in &summary.users {
        println!("  {name:<10} {password:<16} {role}");
    }
    Ok(())
}

pub async fn user(context: &Context, command: &UserCommand) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let role: Role = role
                .parse()
                .map_err(|e: crate::domain::role::UnknownRole| {
                    CliError::bad_input(e.to_string())
                })?;
            let actor = context.optional_actor(&backoffice).await?;
            let password = new_password(*password_stdin)?;
            backoffice
                .add_user(actor.as_ref(), name, role, &password, now())
                .await
                .map_err(service_error)?;
            println!("added {role} {name}");
            Ok(())
        }
        UserCommand::List(flags) => {
            let actor = context.actor(&backoffice).await?;
            if !Permission::AddUsers.allows(actor.role) {
                return Err(CliError::not_permitted("only an admin may list users"));
            }
            let users = backoffice
                .store
                .users()
                .await
                .map_err(|e| service_error(e.into()))?;
            if flags.json {
                print_json(&json!(users.iter().map(|u| json!({"name": u.name, "role": u.role, "disabled": u.disabled, "failed_sign_ins": u.failed_sign_ins})).collect::<Vec<_>>()));
            } else {
                for user in users {
                    println!(
                        "{:<16} {:<9}{}",
                        user.name,
                        user.role,
                        if user.disabled { " (disabled)" } else { "" }
                    );
                }
            }
            Ok(())
        }
    }
}

fn new_password(from_stdin: bool) -> Result<Secret, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::bad_input(format!("cannot read the password from stdin: {e}"))
        })?;
        return Ok(Secret::new(line.trim_end_matches(['\n', '\r'])));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::bad_input(
            "no password: use --password-stdin or run in a terminal",
        ));
    }
    let first = rpassword::prompt_password("New password: ")
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    let second = rpassword::prompt_password("Repeat it: ")
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    if first != second {
        return Err(CliError::bad_input(
            "the two passwords differ; nothing was changed",
        ));
    }
    Ok(Secret::new(first))
}

pub async fn create_order(context: &Context, args: &CreateOrderArgs) -> Result<(), CliError> {
    let amount_cents = parse_amount_cents(&args.amount)
        .map_err(|e| CliError::bad_input(format!("--amount: {e}")))?;
    let due_at = args
        .due
        .as_deref()
        .map(|t| parse_time("--due", t))
        .transpose()?;
    let placed_at = args
        .placed_at
        .as_deref()
        .map(|t| parse_time("--placed-at", t))
        .transpose()?;
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let workflow = backoffice.workflow(&args.workflow).map_err(service_error)?;
    let mut attrs = BTreeMap::new();
    for pair in &args.attrs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::bad_input(format!("--attr \"{pair}\" is not KEY=VALUE")))?;
        let value = attribute_value(key, value, workflow.attributes.get(key))?;
        attrs.insert(key.to_string(), value);
    }
    let draft = OrderDraft {
        workflow: args.workflow.clone(),
        customer: args.customer.clone(),
        seller: args.seller.clone(),
        title: args.title.clone(),
        amount_cents,
        currency: args.currency.clone(),
        placed_at,
        due_at,
        attrs,
    };
    let at = now();
    let id = backoffice
        .create_order(&actor, draft, at)
        .await
        .map_err(service_error)?;
    if args.json {
        let view = backoffice
            .show(&actor, id, at)
            .await
            .map_err(service_error)?;
        print_json(&output::order_view_json(&view));
    } else {
        println!(
            "created order in {} ({})",
            args.workflow,
            workflow.initial_state().id
        );
        println!("{id}");
    }
    Ok(())
}

/// A declared attribute takes its declared type; others: true/false, integers, else text.
fn attribute_value(
    key: &str,
    text: &str,
    declared: Option<&serde_json::Value>,
) -> Result<serde_json::Value, CliError> {
    use serde_json::Value;
    let bad =
        |expected: &str| CliError::bad_input(format!("--attr {key}: \"{text}\" is not {expected}"));
    match declared {
        Some(Value::Bool(_)) => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        Some(Value::Number(n)) if n.is_i64() => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("a whole number")),
        Some(Value::Number(_)) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a number")),
        Some(_) => Ok(Value::String(text.to_string())),
        None => Ok(match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.to_string())),
        }),
    }
}

pub async fn list_orders(context: &Context, args: &ListOrdersArgs) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    if let Some(workflow) = &args.workflow {
        backoffice.workflow(workflow).map_err(service_error)?;
    }
    let at = now();
    let mut query = OrderQuery {
        workflow: args.workflow.clone(),
        state: args.state.clone(),
        due_before: args.late.then_some(at),
        text: args.search.clone(),
        acted_by: None,
        after_id: None,
        limit: 1000,
    };
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut shown = 0;
    let mut json_rows = Vec::new();
    'pages: loop {
        let page = backoffice
            .list(&actor, &query)
            .await
            .map_err(service_error)?;
        let (Some(first), Some(last)) = (page.first().map(|o| o.id), page.last().map(|o| o.id))
        else {
            break;
        };
        query.after_id = Some(last);
        // The page's ledger rows in one query, not one per order.
        let ledger = if args.json {
            backoffice
                .store
                .ledger_between(first, last)
                .await
                .map_err(|e| service_error(e.into()))?
        } else {
            Vec::new()
        };
        for order in &page {
            let workflow = backoffice.workflows.get(&order.workflow);
            let late = workflow.is_some_and(|w| w.is_late(order, at));
            if args.late && !late {
                continue;
            }
            if shown >= limit {
                break 'pages;
            }
            shown += 1;
            if args.json {
                let menu = workflow
                    .filter(|w| w.state(&order.state).is_some())
                    .map(|w| w.available_transitions(order, &actor, at))
                    .unwrap_or_default();
                let rows: Vec<_> = ledger
                    .iter()
                    .filter(|(id, _)| *id == order.id)
                    .map(|(_, row)| row.clone())
                    .collect();
                json_rows.push(output::order_json(order, late, &rows, &menu));
            } else {
                println!("{}", output::order_line(order, late));
            }
        }
    }
    if args.json {
        print_json(&serde_json::Value::Array(json_rows));
    } else if shown == 0 {
        eprintln!("no orders match");
    }
    Ok(())
}

pub async fn show_order(context: &Context, id: &str, json: bool) -> Result<(), CliError> {
    let id = parse_order_id(id)?;
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let view = backoffice
        .show(&actor, id, now())
        .await
        .map_err(service_error)?;
    if json {
        print_json(&output::order_view_json(&view));
    } else {
        println!("{}", output::order_text(&view));
    }
    Ok(())
}

pub async fn advance(context: &Context, args: &AdvanceArgs) -> Result<(), CliError> {
    let id = parse_order_id(&args.id)?;
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let applied = backoffice
        .advance(
            &actor,
            id,
            &args.event,
            args.note.as_deref(),
            args.expect_version,
            now(),
        )
        .await
        .map_err(service_error)?;
    if args.json {
        print_json(&output::applied_json(&applied));
    } else {
        let effects = if applied.effects.is_empty() {
            String::new()
        } else {
            format!("  effects: {}", applied.effects.join(", "))
        };
        println!(
            "order {}: {} → {} (version {}){effects}",
            applied.id, applied.from, applied.to, applied.version
        );
    }
    Ok(())
}

pub async fn history(context: &Context, args: &HistoryArgs) -> Result<(), CliError> {
    let id = parse_order_id(&args.id)?;
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let (entries, attempts) = backoffice
        .history(&actor, id, args.attempts)
        .await
        .map_err(service_error)?;
    // Transitions stay in commit order; each refused attempt goes before the first transition
    // after it in time.
    let mut lines: Vec<(u8, usize)> = Vec::with_capacity(entries.len() + attempts.len());
    let (mut e, mut a) = (0, 0);
    while e < entries.len() || a < attempts.len() {
        let attempt_first =
            a < attempts.len() && (e == entries.len() || attempts[a].at < entries[e].at);
        if attempt_first {
            lines.push((1, a));
            a += 1;
        } else {
            lines.push((0, e));
            e += 1;
        }
    }
    if args.json {
        let rows: Vec<serde_json::Value> = lines
            .iter()
            .map(|(kind, index)| match kind {
                0 => output::history_json(&entries[*index]),
                _ => output::attempt_json(&attempts[*index]),
            })
            .collect();
        print_json(&serde_json::Value::Array(rows));
    } else {
        for (kind, index) in &lines {
            match kind {
                0 => println!("{}", output::history_line(&entries[*index])),
                _ => println!("{}", output::attempt_line(&attempts[*index])),
            }
        }
        if lines.is_empty() {
            println!("order {id} has no transitions yet");
        }
    }
    Ok(())
}

pub async fn tick(context: &Context, args: &TickArgs) -> Result<(), CliError> {
    let at = args
        .now
        .as_deref()
        .map(|t| parse_time("--now", t))
        .transpose()?
        .unwrap_or_else(now);
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let report = backoffice.tick(&actor, at).await.map_err(service_error)?;
    if args.json {
        print_json(&json!({
            "fired": report.fired.iter().map(output::applied_json).collect::<Vec<_>>(),
            "already_fired": report.already_fired,
            "refused": report.refused,
        }));
    } else {
        for applied in &report.fired {
            println!(
                "order {}: {} → {} ({})",
                applied.id, applied.from, applied.to, applied.event
            );
        }
        for refused in &report.refused {
            println!("{refused}");
        }
        println!("{} timers fired", report.fired.len());
    }
    Ok(())
}

pub async fn verify(context: &Context, json: bool) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    require(&actor, Permission::Verify)?;
    let report = crate::verify::verify_all(&backoffice.store, &backoffice.workflows)
        .await
        .map_err(|e| service_error(e.into()))?;
    if json {
        print_json(&serde_json::to_value(&report).unwrap_or_default());
    } else {
        for violation in &report.violations {
            println!("order {}: {}", violation.order_id, violation.problem);
        }
        println!(
            "verified {} orders and {} transitions: {} violations",
            report.orders,
            report.transitions,
            report.violations.len()
        );
    }
    if report.violations.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(
            ExitKind::Unexpected,
            format!("{} violations found", report.violations.len()),
        ))
    }
}

pub async fn seed(context: &Context, args: &SeedArgs) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    require(&actor, Permission::Seed)?;
    let workflows: Vec<String> = match &args.workflow {
        Some(name) => vec![
            backoffice
                .workflow(name)
                .map_err(service_error)?
                .name
                .clone(),
        ],
        None => backoffice
            .workflows
            .names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let actors = seed_actors(&backoffice).await?;
    let mut rng = fastrand::Rng::new();
    let started = std::time::Instant::now();
    let (orders, transitions) = if args.one_by_one {
        demo::generate_orders(
            &backoffice,
            &actor,
            &actors,
            &workflows,
            args.orders,
            now(),
            &mut rng,
        )
        .await
    } else {
        demo::seed_bulk(
            &backoffice,
            &actors,
            &workflows,
            args.orders,
            now(),
            &mut rng,
        )
        .await
    }
    .map_err(service_error)?;
    println!(
        "seeded {orders} orders with {transitions} transitions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Everyone in the database, as actors for synthetic walks.
async fn seed_actors(backoffice: &Backoffice) -> Result<Vec<Actor>, CliError> {
    let users = backoffice
        .store
        .users()
        .await
        .map_err(|e| service_error(e.into()))?;
    Ok(users
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| Actor::new(u.name, u.role))
        .collect())
}

fn require(actor: &Actor, permission: Permission) -> Result<(), CliError> {
    if permission.allows(actor.role) {
        Ok(())
    } else {
        Err(service_error(ServiceError::NotPermitted(
            permission.refusal().to_string(),
        )))
    }
}

pub async fn bench(context: &Context, command: &super::args::BenchCommand) -> Result<(), CliError> {
    use super::args::BenchCommand;
    use crate::bench;
    let mode = if matches!(command, BenchCommand::Seed { .. }) {
        OpenMode::CreateIfMissing
    } else {
        OpenMode::ExistingOnly
    };
    let backoffice = context.open(mode).await?;
    // The seed bench may start from an empty database: it creates the demo users itself.
    let fresh = backoffice
        .store
        .user_count()
        .await
        .map_err(|e| service_error(e.into()))?
        == 0;
    let actor = if fresh {
        bench::ensure_users(&backoffice)
            .await
            .map_err(service_error)?
    } else {
        let actor = context.actor(&backoffice).await?;
        require(&actor, Permission::Seed)?;
        actor
    };
    let report = match command {
        BenchCommand::Seed { orders, json } => (bench::seed(&backoffice, *orders).await, *json),
        BenchCommand::Board {
            view_as,
            presses,
            json,
        } => {
            let viewer = match view_as {
                Some(name) => {
                    let user = backoffice
                        .store
                        .user(name)
                        .await
                        .map_err(|e| service_error(e.into()))?
                        .ok_or_else(|| {
                            CliError::bad_input(format!("there is no user named \"{name}\""))
                        })?;
                    Actor::new(user.name, user.role)
                }
                None => actor.clone(),
            };
            (bench::board(&backoffice, &viewer, *presses).await, *json)
        }
        BenchCommand::Apply {
            clients,
            transitions,
            json,
        } => (
            bench::apply(&backoffice, *clients, *transitions).await,
            *json,
        ),
        BenchCommand::Feed { events, json } => {
            let url = context.database_url()?;
            let database = match &url {
                crate::store::DatabaseUrl::Sqlite { path } => {
                    format!("sqlite://{}", path.display())
                }
                crate::store::DatabaseUrl::Postgres { url } => url.clone(),
            };
            let poll = std::time::Duration::from_millis(context.config.feed_interval_ms());
            (
                bench::feed(&backoffice, &database, *events, poll).await,
                *json,
            )
        }
        BenchCommand::Explain => {
            bench::explain(&backoffice).await.map_err(service_error)?;
            return Ok(());
        }
        BenchCommand::RaceWriter {
            first,
            count,
            transitions,
            seed,
        } => {
            let outcome = bench::race_writer(&backoffice, *first, *count, *transitions, *seed)
                .await
                .map_err(service_error)?;
            println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
            return Ok(());
        }
        BenchCommand::FeedWriter { first, count } => {
            bench::feed_writer(&backoffice, *first, *count)
                .await
                .map_err(service_error)?;
            return Ok(());
        }
    };
    let (report, json) = report;
    report.map_err(service_error)?.print(json);
    Ok(())
}
