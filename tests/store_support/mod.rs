//! Shared helpers for the store tests: a real client (the console's) with its mirror.
#![allow(dead_code)]

use std::time::Duration;

use callfloor::client::{self, ClientConfig, Mirror, Outgoing, Update};
use callfloor::model::*;
use tokio::sync::mpsc;

pub const GUARD: Duration = Duration::from_secs(60);

pub struct Client {
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Outgoing>,
    pub mirror: Mirror,
    next: u32,
}

impl Client {
    pub fn connect(url: &str, token: &str) -> Client {
        let (updates, commands) = client::spawn(ClientConfig::new(url, token));
        Client { updates, commands, mirror: Mirror::default(), next: 0 }
    }

    pub async fn pump(&mut self) -> Update {
        let Ok(Some(u)) = tokio::time::timeout(GUARD, self.updates.recv()).await else {
            panic!("no update from the engine within {GUARD:?}")
        };
        self.mirror.apply(&u, std::time::Instant::now());
        u
    }

    /// Pumps updates until the mirror is live and `ready` holds of its floor.
    pub async fn until(&mut self, ready: impl Fn(&Floor) -> bool) {
        while !(self.mirror.is_live() && ready(&self.mirror.floor)) {
            self.pump().await;
        }
    }

    pub async fn command(&mut self, command: Command) -> Result<(), String> {
        self.next += 1;
        let id = format!("d-{}", self.next);
        assert!(self.commands.send(Outgoing::command(id.clone(), command)).await.is_ok());
        loop {
            match self.pump().await {
                Update::Ack { id: i } if i == id => return Ok(()),
                Update::Error { id: Some(i), code, message } if i == id => return Err(format!("{code:?}: {message}")),
                _ => {}
            }
        }
    }
}
