//! Sending e-mail over SMTP (lettre): invitations and reminders carrying
//! voting links. Configured by URL: `smtp://user:pass@host:587?tls=required`
//! (STARTTLS), `smtps://host:465` (TLS), or `smtp://127.0.0.1:2525` (a relay
//! on this machine, no TLS).

use lettre::message::{header::ContentType, Mailbox};
use lettre::{Message, SmtpTransport, Transport};

/// The mail settings and a connection pool to the server.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// The URL without its password, for pages and logs.
    pub shown: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer({})", self.shown)
    }
}

impl Mailer {
    /// Settings from an SMTP URL and the sender (`Election Office <office@example.org>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = SmtpTransport::from_url(url)
            .map_err(|e| format!("the SMTP URL is not usable: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("the sender {from:?} is not an e-mail address with an optional name: {e}"))?;
        let shown = match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
            _ => url.to_string(),
        };
        Ok(Mailer { transport, from, shown })
    }

    /// Send one plain-text message; the error says what the server answered.
    pub fn send(&self, to_name: &str, to_email: &str, subject: &str, body: &str) -> Result<(), String> {
        let to = Mailbox::new(
            Some(to_name.to_string()),
            to_email
                .parse()
                .map_err(|e| format!("the address {to_email:?} is not valid: {e}"))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport.send(&message).map(|_| ()).map_err(|e| e.to_string())
    }
}
