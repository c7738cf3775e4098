//! `--set path=value`: change any configuration field by its dotted path.

use instatok::config::Config;
use serde_json::Value;

/// Apply each `path=value` in order. The value is read as JSON when it parses (numbers,
/// `true`, `null`, objects), else as a string. Unknown paths are an error naming them.
pub fn apply(cfg: Config, sets: &[String]) -> Result<Config, String> {
    if sets.is_empty() {
        return Ok(cfg);
    }
    let mut doc = serde_json::to_value(&cfg).map_err(|e| e.to_string())?;
    for s in sets {
        let (path, raw) = s
            .split_once('=')
            .ok_or_else(|| format!("--set {s}: expected PATH=VALUE, e.g. agent.gamma=0.9"))?;
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
        let mut node = &mut doc;
        for key in path.split('.') {
            node = node
                .as_object_mut()
                .and_then(|o| o.get_mut(key))
                .ok_or_else(|| format!("--set {path}: no such configuration field"))?;
        }
        *node = value;
        // Read back after each one, so a bad value (say an unknown variant) names its path.
        serde_json::from_value::<Config>(doc.clone()).map_err(|e| format!("--set {path}: {e}"))?;
    }
    serde_json::from_value(doc).map_err(|e| format!("--set: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_fields_and_rejects_unknown_ones() {
        let c = apply(
            Config::default_preset(),
            &[
                "agent.gamma=0.9".into(),
                "agent.replay_capacity=null".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.agent.gamma, 0.9);
        assert_eq!(c.agent.replay_capacity, None);
        assert!(apply(Config::default_preset(), &["agent.gama=0.9".into()])
            .unwrap_err()
            .contains("agent.gama"));
        assert!(apply(Config::default_preset(), &["agent.gamma".into()]).is_err());
        assert!(apply(Config::default_preset(), &["agent.gamma=\"x\"".into()]).is_err());
        let c = apply(
            Config::default_preset(),
            &[
                "agent.kind=bandit".into(),
                "interests.source=predicted".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.agent.kind, instatok::agent::AgentKind::Bandit);
        for bad in [
            "agent.kind=banditx",
            "agent.epsilon_decay_per=step",
            "interests.source=guess",
            "agent.bandit.exploration=ucb2",
        ] {
            let err = apply(Config::default_preset(), &[bad.into()]).unwrap_err();
            let path = bad.split('=').next().unwrap();
            assert!(err.contains(path), "{err}");
        }
    }
}
