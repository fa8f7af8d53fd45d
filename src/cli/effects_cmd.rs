//! `orderboard effects list|retry|resolve`: the outbox for support and admin.

use super::args::{EffectsCommand, ListEffectsArgs};
use super::commands::parse_order_id;
use super::context::Context;
use super::exit::CliError;
use super::output::effect_line;
use super::output::print_json;
use crate::domain::text::display_safe;
use crate::office::Settle;
use crate::service::MAX_EFFECT_PAGE;
use crate::store::{EffectQuery, EffectStatus};

/// Effects listed when `--limit` is not given.
const DEFAULT_LIST_LIMIT: usize = 100;

pub async fn run(context: &Context, command: &EffectsCommand) -> Result<(), CliError> {
    match command {
        EffectsCommand::List(args) => list(context, args).await,
        EffectsCommand::Retry { id, note, json } => {
            settle(context, id, note.as_deref(), true, *json).await
        }
        EffectsCommand::Resolve { id, note, json } => {
            settle(context, id, Some(note), false, *json).await
        }
    }
}

async fn list(context: &Context, args: &ListEffectsArgs) -> Result<(), CliError> {
    let status = args
        .status
        .as_deref()
        .map(|text| {
            EffectStatus::parse(text).ok_or_else(|| {
                CliError::bad_input(format!(
                    "--status \"{}\" is not one of pending, delivering, delivered, failed, unrouted, resolved",
                    display_safe(text)
                ))
            })
        })
        .transpose()?;
    let order_id = args.order.as_deref().map(parse_order_id).transpose()?;
    let limit = args.limit.unwrap_or(DEFAULT_LIST_LIMIT);
    if limit == 0 || limit as i64 > MAX_EFFECT_PAGE {
        return Err(CliError::bad_input(format!(
            "--limit must be from 1 to {MAX_EFFECT_PAGE}"
        )));
    }
    let query = EffectQuery {
        status,
        order_id,
        after_id: None,
        limit: limit as i64,
    };
    let office = context.office().await?;
    let effects = office.effects(&query).await;
    office.close().await;
    let effects = effects?;
    if args.json {
        print_json(&crate::shapes::to_value(&effects));
    } else {
        for effect in &effects {
            println!("{}", effect_line(effect));
        }
        println!("{} effects", effects.len());
    }
    Ok(())
}

async fn settle(
    context: &Context,
    id: &str,
    note: Option<&str>,
    retry: bool,
    json: bool,
) -> Result<(), CliError> {
    let id = parse_effect_id(id)?;
    let settle = if retry {
        Settle::Retry
    } else {
        Settle::Resolve
    };
    let office = context.office().await?;
    let effect = office.settle_effect(id, settle, note).await;
    office.close().await;
    let effect = effect?;
    if json {
        print_json(&crate::shapes::to_value(&effect));
    } else {
        println!("{}", effect_line(&effect));
    }
    Ok(())
}

fn parse_effect_id(text: &str) -> Result<i64, CliError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "\"{}\" is not an effect id (a positive number)",
                display_safe(text)
            ))
        })
}
