//! `login` and `logout`: a session of `orderboard serve` kept between commands, so that a
//! user signs in once and holds no database credentials.

use std::path::Path;

use super::context::{Context, read_password};
use super::exit::CliError;
use crate::domain::text::display_safe;
use crate::office::{RemoteOffice, SavedSession, SavedSessions, ServerAddress};

fn server_of(context: &Context, command: &str) -> Result<ServerAddress, CliError> {
    context.server()?.ok_or_else(|| {
        CliError::bad_input(format!(
            "{command} needs --server URL (or ORDERBOARD_SERVER, or server = \"URL\" in config.toml)"
        ))
    })
}

/// Signs in as `--as USER` and keeps the session for the server, replacing an older one.
pub async fn login(context: &Context) -> Result<(), CliError> {
    let server = server_of(context, "login")?;
    let Some(name) = &context.global.as_user else {
        return Err(CliError::bad_input("login needs --as USER (who signs in)"));
    };
    let path = context.saved_sessions_path()?;
    // A broken or readable file is refused before a password is asked for.
    SavedSessions::load(&path).map_err(CliError::bad_input)?;
    let password = read_password(name)?;
    let (office, signed_in) = RemoteOffice::sign_in(
        context.http_client()?,
        server.clone(),
        name,
        &password,
        false,
    )
    .await?;
    let session = SavedSession::new(
        server.key(),
        signed_in.user.clone(),
        signed_in.role.clone(),
        office.token(),
        signed_in.expires_at.clone(),
    );
    let replaced = match keep(&path, session) {
        Ok(replaced) => replaced,
        Err(error) => {
            // Not kept, so not left open either.
            let _ = office.sign_out().await;
            return Err(CliError::unexpected(error));
        }
    };
    if let Some(old) = replaced {
        // The session this one replaces would otherwise stay open on the server, unused.
        let _ = RemoteOffice::resume(context.http_client()?, server.clone(), &old)
            .sign_out()
            .await;
    }
    println!(
        "signed in to {server} as {} ({}); the session ends after {} min unused, and at {} at the latest",
        display_safe(&signed_in.user),
        display_safe(&signed_in.role),
        signed_in.idle_timeout_seconds / 60,
        readable_time(&signed_in.expires_at)
    );
    Ok(())
}

/// A server's RFC 3339 time to the minute in UTC ("2026-12-07 18:40 UTC"); anything else
/// as sent, made display-safe.
fn readable_time(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(at) => at
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => display_safe(text).into_owned(),
    }
}

/// Puts the session in the file under its lock; the one it replaces, if any.
fn keep(path: &Path, session: SavedSession) -> Result<Option<SavedSession>, String> {
    let _lock = SavedSessions::lock(path)?;
    let mut saved = SavedSessions::load(path)?;
    let replaced = saved.remove(&session.server);
    saved.put(session);
    saved.store(path)?;
    Ok(replaced)
}

/// Ends the kept session on the server and forgets it here. A session the server has
/// already ended is forgotten all the same; a file others could read is still used to end
/// its session (that is the remedy), and a file that is not a sessions file is reported.
pub async fn logout(context: &Context) -> Result<(), CliError> {
    let server = server_of(context, "logout")?;
    let path = context.saved_sessions_path()?;
    let forgotten = {
        let _lock = SavedSessions::lock(&path).map_err(CliError::unexpected)?;
        let mut saved = SavedSessions::load_to_end(&path).map_err(CliError::bad_input)?;
        let forgotten = saved.remove(&server.key());
        if forgotten.is_some() {
            // Written, not removed: a link's target must lose the token too.
            saved.store(&path).map_err(CliError::unexpected)?;
        }
        forgotten
    };
    let Some(session) = forgotten else {
        println!("not signed in to {server}: nothing to do");
        return Ok(());
    };
    let ended = RemoteOffice::resume(context.http_client()?, server.clone(), &session)
        .sign_out()
        .await;
    match ended {
        Ok(()) => println!("signed out of {server}"),
        Err(error) if error.is_connection_lost() => {
            println!(
                "forgot the session for {server}; the server did not answer ({error}), so it ends there when unused"
            );
        }
        // Already ended there (expired or revoked): forgetting it is all that is left.
        Err(_) => println!("signed out of {server} (the server had already ended the session)"),
    }
    Ok(())
}
