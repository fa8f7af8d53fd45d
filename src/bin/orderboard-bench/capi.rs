//! The SQLite C API baseline of `apply` (issue 14, target 4): the raw-SQL side's statements,
//! prepared once per connection and stepped through `libsqlite3-sys` (the library sqlx itself
//! links) on one OS thread per client. No async runtime, no worker thread per connection, no
//! channel between them: what is left is SQLite's own cost, the floor any apply path on
//! SQLite can reach.

use std::ffi::{CStr, CString, c_int};
use std::marker::PhantomData;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use chrono::{SecondsFormat, Utc};
use color_eyre::Result;
use color_eyre::eyre::{bail, eyre};
use libsqlite3_sys as ffi;
use orderboard::store::micros;

use crate::apply::{EFFECT, HISTORY, MOVE, READ};

/// One connection, opened with the pragmas the store's pool uses.
struct Connection {
    db: *mut ffi::sqlite3,
}

impl Connection {
    fn open(path: &Path) -> Result<Connection> {
        let name = CString::new(path.as_os_str().as_bytes())?;
        let mut db = ptr::null_mut();
        // SAFETY: `name` is a NUL-terminated string that outlives the call; `db` receives a
        // handle (even on failure) that `Connection` closes once.
        let code = unsafe {
            ffi::sqlite3_open_v2(
                name.as_ptr(),
                &mut db,
                ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_NOMUTEX,
                ptr::null(),
            )
        };
        let connection = Connection { db };
        connection.check(code)?;
        // SAFETY: `db` is an open handle.
        unsafe { ffi::sqlite3_busy_timeout(db, 10_000) };
        connection.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384",
        )?;
        Ok(connection)
    }

    fn execute(&self, sql: &str) -> Result<()> {
        let sql = CString::new(sql)?;
        // SAFETY: an open handle and a NUL-terminated statement; no callback, no error buffer.
        let code = unsafe {
            ffi::sqlite3_exec(
                self.db,
                sql.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        self.check(code)
    }

    fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        let mut statement = ptr::null_mut();
        // SAFETY: the text is passed with its length (no NUL needed); the statement is
        // finalized by `Statement`'s drop, before the connection closes (it borrows it).
        let code = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db,
                sql.as_ptr().cast(),
                c_int::try_from(sql.len())?,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut statement,
                ptr::null_mut(),
            )
        };
        self.check(code)?;
        Ok(Statement {
            raw: statement,
            connection: PhantomData,
        })
    }

    fn check(&self, code: c_int) -> Result<()> {
        if code == ffi::SQLITE_OK {
            return Ok(());
        }
        // SAFETY: sqlite3_errmsg accepts any handle this connection holds (or null) and
        // returns a NUL-terminated string owned by SQLite, copied at once.
        let message = unsafe {
            let text = ffi::sqlite3_errmsg(self.db);
            if text.is_null() {
                String::from("unknown error")
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            }
        };
        Err(eyre!("SQLite C API: {message} (code {code})"))
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // SAFETY: the handle is closed once, after every statement borrowing it was
        // finalized; sqlite3_close accepts a null handle.
        unsafe { ffi::sqlite3_close(self.db) };
    }
}

/// A prepared statement, reset after each use so that it is stepped again without parsing.
struct Statement<'c> {
    raw: *mut ffi::sqlite3_stmt,
    connection: PhantomData<&'c Connection>,
}

impl Statement<'_> {
    /// `index` counts from 1 in order of first appearance: the `$N` of the statements here
    /// first appear in increasing order, so `$N` is index N.
    fn bind_i64(&mut self, index: c_int, value: i64) -> Result<()> {
        // SAFETY: a live statement; SQLite checks the index.
        self.check(unsafe { ffi::sqlite3_bind_int64(self.raw, index, value) })
    }

    fn bind_text(&mut self, index: c_int, value: &str) -> Result<()> {
        // SAFETY: a live statement; SQLITE_TRANSIENT makes SQLite copy the text before the
        // call returns, so `value` need not outlive it.
        let code = unsafe {
            ffi::sqlite3_bind_text(
                self.raw,
                index,
                value.as_ptr().cast(),
                c_int::try_from(value.len())?,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        self.check(code)
    }

    /// Steps once: true with a row to read, false when done.
    fn step(&mut self) -> Result<bool> {
        // SAFETY: a live statement with every parameter bound.
        match unsafe { ffi::sqlite3_step(self.raw) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            code => self.check(code).map(|()| false),
        }
    }

    fn column_i64(&self, index: c_int) -> i64 {
        // SAFETY: called only after `step` returned a row.
        unsafe { ffi::sqlite3_column_int64(self.raw, index) }
    }

    /// Steps to the end of the statement and makes it ready for the next use.
    fn finish(&mut self) -> Result<()> {
        while self.step()? {}
        self.reset()
    }

    fn reset(&mut self) -> Result<()> {
        // SAFETY: a live statement.
        self.check(unsafe { ffi::sqlite3_reset(self.raw) })
    }

    fn check(&self, code: c_int) -> Result<()> {
        if code == ffi::SQLITE_OK {
            return Ok(());
        }
        // SAFETY: a live statement's connection handle, and its message copied at once.
        let message = unsafe {
            let db = ffi::sqlite3_db_handle(self.raw);
            CStr::from_ptr(ffi::sqlite3_errmsg(db))
                .to_string_lossy()
                .into_owned()
        };
        // The statement stays usable for the next transaction.
        // SAFETY: a live statement.
        unsafe { ffi::sqlite3_reset(self.raw) };
        Err(eyre!("SQLite C API: {message} (code {code})"))
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once, before its connection closes.
        unsafe { ffi::sqlite3_finalize(self.raw) };
    }
}

/// Accepts `ids` on one connection of its own, in the calling (blocking) thread: the same
/// statements as the raw-SQL side, in the same `BEGIN IMMEDIATE` transaction each.
pub fn accept_all(path: &Path, ids: &[i64]) -> Result<()> {
    let connection = Connection::open(path)?;
    let mut begin = connection.prepare("BEGIN IMMEDIATE")?;
    let mut commit = connection.prepare("COMMIT")?;
    let mut read = connection.prepare(READ)?;
    let mut update = connection.prepare(MOVE)?;
    let mut effect = connection.prepare(EFFECT)?;
    let mut history = connection.prepare(HISTORY)?;
    for &id in ids {
        // As sqlx binds a time on SQLite: RFC 3339 text.
        let now = micros(Utc::now()).to_rfc3339_opts(SecondsFormat::AutoSi, false);
        begin.finish()?;
        let moved = (|| -> Result<()> {
            read.bind_i64(1, id)?;
            if !read.step()? {
                bail!("order {id} is gone");
            }
            let version = read.column_i64(1);
            read.finish()?;
            update.bind_text(1, "inprogress")?;
            update.bind_text(2, "{}")?;
            update.bind_text(3, &now)?;
            update.bind_i64(4, id)?;
            update.bind_i64(5, version)?;
            if !update.step()? {
                bail!("order {id} changed under the baseline");
            }
            let new = update.column_i64(0);
            update.finish()?;
            effect.bind_i64(1, id)?;
            effect.bind_i64(2, new)?;
            effect.bind_text(3, &format!("{id}:{new}:0"))?;
            effect.bind_text(4, &now)?;
            effect.finish()?;
            history.bind_i64(1, id)?;
            history.bind_text(2, &now)?;
            history.bind_i64(3, 2)?;
            if !history.step()? {
                bail!("no history id for order {id}");
            }
            history.finish()
        })();
        match moved {
            Ok(()) => commit.finish()?,
            Err(error) => {
                connection.execute("ROLLBACK")?;
                return Err(error);
            }
        }
    }
    Ok(())
}
