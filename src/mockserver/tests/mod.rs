//! Tests of the mock server, talking to it over real sockets with a plain
//! reqwest client or a raw TCP stream (never through Tandem's own client).

mod faults;
mod protocols;
mod script;
mod support;
mod transport;
