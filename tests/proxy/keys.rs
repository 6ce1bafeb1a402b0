//! Keys put on requests or passed through, and the environment a hosted
//! program is started with.

use super::*;

#[tokio::test]
async fn the_configured_key_replaces_the_clients_placeholder() {
    let script = "api_key = \"sk-real\"\n\n[[reply]]\ntext = \"a\"\n\n[[reply]]\ntext = \"b\"\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let http = client();
    // Directly, the placeholder is refused.
    let resp = Call::Messages
        .send(&http, &server.base_url(), proxy::PLACEHOLDER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let proxy =
        MeteringProxy::start(upstreams(&server.base_url(), Some("sk-real")), None, PANE).unwrap();
    assert!(proxy.injects_key(Family::Anthropic) && proxy.injects_key(Family::OpenAi));
    for call in [Call::Messages, Call::Responses] {
        let resp = call
            .send(
                &http,
                &proxy.base_url(call.family()),
                proxy::PLACEHOLDER_KEY,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{call:?}");
        resp.bytes().await.unwrap();
    }
    let seen = server.requests();
    let last_two = &seen[seen.len() - 2..];
    assert_eq!(last_two[0].header("x-api-key"), Some("sk-real"));
    assert_eq!(last_two[1].header("authorization"), Some("Bearer sk-real"));
    assert!(
        seen.iter()
            .skip(1)
            .all(|r| !format!("{:?}", r.headers).contains(proxy::PLACEHOLDER_KEY)),
        "the placeholder never reaches the upstream"
    );
}

#[tokio::test]
async fn without_a_configured_key_the_clients_own_credentials_pass() {
    let script = "api_key = \"sk-users-own\"\n\n[[reply]]\ntext = \"a\"\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let proxy = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    assert!(!proxy.injects_key(Family::OpenAi));
    let resp = Call::Chat
        .send(&client(), &proxy.base_url(Family::OpenAi), "sk-users-own")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer sk-users-own")
    );
}

#[tokio::test]
async fn env_points_hosted_programs_at_the_proxy() {
    let server = MockServer::start(Script::texts(["a"])).await.unwrap();
    let keyed =
        MeteringProxy::start(upstreams(&server.base_url(), Some("sk-real")), None, PANE).unwrap();
    let vars: BTreeMap<String, String> = proxy::env_for(HostKind::Claude, &keyed)
        .into_iter()
        .collect();
    let proxy = keyed;
    assert_eq!(
        vars["ANTHROPIC_BASE_URL"],
        proxy.base_url(Family::Anthropic)
    );
    assert_eq!(vars["ANTHROPIC_API_KEY"], proxy::PLACEHOLDER_KEY);
    assert_eq!(vars.len(), 2);
    let keyless = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    let vars: BTreeMap<String, String> = proxy::env_for(HostKind::Codex, &keyless)
        .into_iter()
        .collect();
    let proxy = keyless;
    assert_eq!(
        vars.len(),
        1,
        "no key variable when the key is not injected: {vars:?}"
    );
    let openai = &vars["OPENAI_BASE_URL"];
    assert!(openai.ends_with("/openai/v1"), "{openai}");
    let both = proxy::env_for(HostKind::Other, &proxy);
    let names: Vec<&str> = both.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"]);
    // The OpenAI SDK convention: OPENAI_BASE_URL + "/models".
    let resp = client()
        .get(format!("{openai}/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(server.requests()[0].path, "/v1/models");
}

#[tokio::test]
async fn start_for_config_resolves_the_host_upstreams_and_their_keys() {
    let script = "api_key = \"sk-from-env\"\n\n[[reply]]\ntext = \"a\"\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let base = server.base_url();
    let env = move |var: &str| match var {
        "ANTHROPIC_BASE_URL" | "OPENAI_BASE_URL" => Some(base.clone()),
        "ANTHROPIC_API_KEY" => Some("sk-from-env".to_string()),
        _ => None,
    };
    let config = Config::defaults();
    let proxy = proxy::start_for_config(&config, None, PANE, &env).unwrap();
    assert!(proxy.injects_key(Family::Anthropic));
    assert!(
        !proxy.injects_key(Family::OpenAi),
        "OPENAI_API_KEY is not set"
    );
    let resp = Call::Messages
        .send(&client(), &proxy.base_url(Family::Anthropic), "dummy")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        server.requests()[0].header("x-api-key"),
        Some("sk-from-env")
    );

    let mut bad = Config::defaults();
    bad.host.openai_upstream = "nowhere".into();
    let err = proxy::start_for_config(&bad, None, PANE, &env).unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("openai_upstream") && err.contains("nowhere"),
        "{err}"
    );
}
