//! The commands that read or change the database.

use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;

use super::args::{
    AdvanceArgs, BulkArgs, CreateOrderArgs, HistoryArgs, InitArgs, ListFormat, ListOrdersArgs,
    SeedArgs, TickArgs,
};
use super::context::Context;
use super::exit::{CliError, ExitKind};
use super::output::{self, print_json};
use crate::demo;
use crate::domain::OrderId;
use crate::domain::order::parse_amount_cents;
use crate::domain::text::display_safe;
use crate::office::{MAX_ORDER_PAGE, Office, OrderFilter};
use crate::service::{ErrorKind, MAX_BULK_ORDERS, MAX_EXPLORER_PAGE, OrderDraft, ServiceError};
use crate::shapes::OrderJson;
use crate::store::{ExplorerFilter, OpenMode, OrderQuery};

pub(super) fn now() -> DateTime<Utc> {
    Utc::now()
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
    if !backoffice.is_fresh().await? {
        println!(
            "{url}: already has users; demo data is only added to a fresh database (nothing changed)"
        );
        return Ok(());
    }
    let summary = demo::create_demo(&backoffice, args.orders, now(), demo::DEMO_SEED).await?;
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
    let office = context.office().await?;
    let created = create_through(context, &office, args, amount_cents, placed_at, due_at).await;
    office.close().await;
    let order = created?;
    if args.json {
        print_json(&crate::shapes::to_value(&order));
    } else {
        println!(
            "created order in {} ({})",
            display_safe(&order.workflow),
            display_safe(&order.state)
        );
        println!("{}", order.id);
    }
    Ok(())
}

async fn create_through(
    context: &Context,
    office: &Office,
    args: &CreateOrderArgs,
    amount_cents: i64,
    placed_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
) -> Result<OrderJson, CliError> {
    // Attributes take the types the workflow declares; through a server that runs a
    // workflow this machine does not have, they are read by their looks (`attribute_value`).
    if let Office::Local { backoffice, .. } = office {
        backoffice.workflow(&args.workflow)?;
    }
    let declared = context.workflows.get(&args.workflow);
    let mut attrs = BTreeMap::new();
    for pair in &args.attrs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::bad_input(format!("--attr \"{pair}\" is not KEY=VALUE")))?;
        let value = attribute_value(key, value, declared.and_then(|w| w.attributes.get(key)))?;
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
    Ok(office.create_order(draft).await?)
}

/// A declared attribute takes its declared type; others: true/false, whole numbers, other
/// numbers, else text.
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
                .ok()
                .or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                })
                .unwrap_or_else(|| Value::String(text.to_string())),
        }),
    }
}

pub async fn list_orders(context: &Context, args: &ListOrdersArgs) -> Result<(), CliError> {
    let office = context.office().await?;
    let listed = print_orders(&office, args).await;
    office.close().await;
    listed
}

/// Pages through the orders the user may see, printing each as it comes (text, CSV) or all
/// at the end (one JSON array).
async fn print_orders(office: &Office, args: &ListOrdersArgs) -> Result<(), CliError> {
    let filter = OrderFilter {
        workflow: args.workflow.clone(),
        state: args.state.clone(),
        late: args.late,
        search: args.search.clone(),
    };
    let limit = args.limit.unwrap_or(usize::MAX);
    let csv = args.format == Some(ListFormat::Csv);
    let mut shown = 0;
    let mut json_rows = Vec::new();
    let mut after = None;
    let mut empty_pages = 0;
    if csv {
        println!("{}", output::CSV_HEADER);
    }
    while shown < limit {
        let page = office
            .orders(&filter, after, MAX_ORDER_PAGE)
            .await
            .map_err(flag_named)?;
        for order in page.orders.iter().take(limit - shown) {
            shown += 1;
            if args.json {
                json_rows.push(crate::shapes::to_value(order));
            } else if csv {
                println!("{}", output::order_json_csv(order));
            } else {
                println!("{}", output::order_line(order));
            }
        }
        let Some(next) = page.next_after else { break };
        // Pages move forward by id, past every order they hold; an empty page (with --late,
        // every order read was on time) read a whole page of ids. A server that answers
        // otherwise, or with endless empty pages, would keep the list going forever.
        empty_pages = if page.orders.is_empty() {
            empty_pages + 1
        } else {
            0
        };
        let past = page
            .orders
            .last()
            .map_or(after.unwrap_or(0).saturating_add(MAX_ORDER_PAGE), |order| {
                order.id
            });
        if next < past || empty_pages > MAX_EMPTY_PAGES {
            return Err(CliError::unexpected(
                "the server answered pages of orders that do not move forward; the list stops here",
            ));
        }
        after = Some(next);
    }
    if args.json {
        print_json(&serde_json::Value::Array(json_rows));
    } else if shown == 0 && !csv {
        eprintln!("no orders match");
    }
    Ok(())
}

/// Empty pages in a row after which a list stops: 10 M orders read without one to show.
const MAX_EMPTY_PAGES: usize = 20_000;

/// The service's sentence about a filter starts with its name: here that is a flag.
fn flag_named(error: ServiceError) -> CliError {
    let flagged = error.kind() == ErrorKind::BadInput && error.to_string().starts_with("state \"");
    let mut error = CliError::from(error);
    if flagged {
        error.message = format!("--{}", error.message);
    }
    error
}

pub async fn show_order(context: &Context, id: &str, json: bool) -> Result<(), CliError> {
    let id = parse_order_id(id)?;
    let office = context.office().await?;
    let shown = office.show(id).await;
    office.close().await;
    let order = shown?;
    if json {
        print_json(&crate::shapes::to_value(&order));
    } else {
        println!("{}", output::order_text(&order));
    }
    Ok(())
}

pub async fn advance(context: &Context, args: &AdvanceArgs) -> Result<(), CliError> {
    let id = parse_order_id(&args.id)?;
    let office = context.office().await?;
    let applied = office
        .advance(id, &args.event, args.note.as_deref(), args.expect_version)
        .await;
    office.close().await;
    let applied = applied?;
    if args.json {
        print_json(&crate::shapes::to_value(&applied));
    } else {
        println!("{}", output::applied_line(&applied));
    }
    Ok(())
}

/// `bulk EVENT (--ids | --filter)`: a line per order; exit 0 when every order moved (or
/// would), else 4, "not all of them".
pub async fn bulk(context: &Context, args: &BulkArgs) -> Result<(), CliError> {
    let mut ids = Vec::new();
    for id in &args.ids {
        ids.push(parse_order_id(id)?);
    }
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    if let Some(text) = &args.filter {
        let query = OrderQuery {
            workflow: args.workflow.clone(),
            state: args.state.clone(),
            text: Some(text.clone()),
            limit: MAX_BULK_ORDERS as i64 + 1,
            ..OrderQuery::default()
        };
        ids = backoffice
            .list(&actor, &query)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
    }
    let lines = backoffice
        .bulk(
            &actor,
            &ids,
            &args.event,
            args.note.as_deref(),
            args.dry_run,
            now(),
        )
        .await?;
    if args.json {
        print_json(&serde_json::to_value(&lines).unwrap_or_default());
    } else {
        for line in &lines {
            println!("{}", display_safe(&output::bulk_line(line)));
        }
    }
    let done = lines.iter().filter(|l| l.outcome.succeeded()).count();
    if done == lines.len() {
        return Ok(());
    }
    Err(CliError::new(
        ExitKind::NotAllowedNow,
        format!(
            "{} of {} orders {}",
            lines.len() - done,
            lines.len(),
            if args.dry_run {
                "would not move"
            } else {
                "did not move"
            }
        ),
    ))
}

pub async fn history(context: &Context, args: &HistoryArgs) -> Result<(), CliError> {
    if args.all {
        return history_all(context, args).await;
    }
    let id = parse_order_id(args.id.as_deref().unwrap_or_default())?;
    let office = context.office().await?;
    let timeline = office.timeline(id, args.attempts).await;
    office.close().await;
    let timeline = timeline?;
    if args.json {
        print_json(&crate::shapes::to_value(&timeline));
    } else {
        for entry in &timeline {
            println!("{}", output::timeline_line(entry));
        }
        if timeline.is_empty() {
            println!("order {id} has no transitions yet");
        }
    }
    Ok(())
}

/// How many entries `history --all` prints unless told.
const EXPLORER_DEFAULT_LIMIT: usize = 100;

/// `history --all`: the explorer, newest first, paged through the service until the limit.
async fn history_all(context: &Context, args: &HistoryArgs) -> Result<(), CliError> {
    let filter = ExplorerFilter {
        actor: args.actor.clone(),
        role: args.role.clone(),
        event: args.event.clone(),
        state: args.state.clone(),
        workflow: args.workflow.clone(),
        since: args
            .since
            .as_deref()
            .map(|t| parse_time("--since", t))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_time("--until", t))
            .transpose()?,
    };
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let limit = args.limit.unwrap_or(EXPLORER_DEFAULT_LIMIT);
    let csv = args.format == Some(ListFormat::Csv);
    let mut entries = Vec::new();
    let mut cursor = None;
    while entries.len() < limit {
        let want = (limit - entries.len()) as i64;
        let page = backoffice
            .explore_history(&actor, &filter, cursor, want)
            .await?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.cursor());
        let full = page.len() as i64 == want.min(MAX_EXPLORER_PAGE);
        entries.extend(page);
        if !full {
            break;
        }
    }
    if args.json {
        print_json(&serde_json::to_value(&entries).unwrap_or_default());
        return Ok(());
    }
    if csv {
        println!("{}", output::EXPLORER_CSV_HEADER);
    }
    for entry in &entries {
        let line = if csv {
            output::explorer_csv(entry)
        } else {
            output::explorer_line(entry)
        };
        println!("{}", display_safe(&line));
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
    let report = backoffice.tick(&actor, at).await?;
    if args.json {
        print_json(&json!({
            "fired": report.fired.iter().map(output::applied_json).collect::<Vec<_>>(),
            "already_fired": report.already_fired,
            "refused": report.refused,
            "held": report.held,
        }));
    } else {
        for applied in &report.fired {
            let line = format!(
                "order {}: {} → {} ({})",
                applied.id, applied.from, applied.to, applied.event
            );
            println!("{}", display_safe(&line));
        }
        for line in report.refused.iter().chain(&report.held) {
            println!("{}", display_safe(line));
        }
        println!("{} timers fired", report.fired.len());
    }
    Ok(())
}

pub async fn verify(context: &Context, json: bool) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    let report = backoffice.verify(&actor).await?;
    if json {
        print_json(&serde_json::to_value(&report).unwrap_or_default());
    } else {
        for violation in &report.violations {
            println!(
                "order {}: {}",
                violation.order_id,
                display_safe(&violation.problem)
            );
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
    let actors = backoffice.seed_actors(&actor).await?;
    let workflows: Vec<String> = match &args.workflow {
        Some(name) => vec![backoffice.workflow(name)?.name.clone()],
        None => backoffice.workflows().names_owned(),
    };
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
        let population = if args.accounts_only {
            demo::Population::accounts(&actors)
        } else {
            demo::Population::realistic(&actors)
        };
        demo::seed_bulk(
            &backoffice,
            &actor,
            &actors,
            population,
            &workflows,
            args.orders,
            now(),
            &mut rng,
        )
        .await
    }?;
    println!(
        "seeded {orders} orders with {transitions} transitions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
