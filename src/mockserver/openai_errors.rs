//! The error shapes and request checks shared by both OpenAI protocols.

use serde_json::{Value, json};

/// The error body shape of every non-2xx answer (and of a Chat mid-stream
/// error chunk).
pub(crate) fn error_json(kind: &str, message: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// OpenAI's error type, code and a realistic message for an HTTP status.
pub(crate) fn status_error(status: u16) -> (&'static str, Option<&'static str>, &'static str) {
    match status {
        400 => ("invalid_request_error", None, "Invalid request"),
        401 => (
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided: sk-mock. You can find your API key at https://platform.openai.com/account/api-keys.",
        ),
        403 => (
            "invalid_request_error",
            Some("unsupported_country_region_territory"),
            "Country, region, or territory not supported",
        ),
        404 => (
            "invalid_request_error",
            Some("model_not_found"),
            "The model does not exist or you do not have access to it.",
        ),
        429 => (
            "requests",
            Some("rate_limit_exceeded"),
            "Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, Requested 1. Please try again in 6ms.",
        ),
        503 => (
            "server_error",
            None,
            "The engine is currently overloaded, please try again later.",
        ),
        _ => (
            "server_error",
            None,
            "The server had an error while processing your request. Sorry about that!",
        ),
    }
}

/// Checks the fields the real API requires (`model` plus `input` or
/// `messages`). Returns the missing parameter.
pub(crate) fn validate(body: &Value, messages_field: &str) -> Result<(), String> {
    for field in ["model", messages_field] {
        if body.get(field).is_none() {
            return Err(field.to_string());
        }
    }
    Ok(())
}
