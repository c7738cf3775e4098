//! `--set path=value`: change any configuration field by its dotted path (see
//! [`instatok::schema::apply_sets`], shared with the library so the same rules apply everywhere).

use instatok::config::Config;

/// Apply each `path=value` in order (each path at most once) and validate the result; the
/// error names the field and its range.
pub fn apply(cfg: Config, sets: &[String]) -> Result<Config, String> {
    instatok::schema::apply_sets(&cfg, sets).map_err(|e| e.to_string())
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
        let e = apply(Config::default_preset(), &["agent.gamma=NaN".into()]).unwrap_err();
        assert!(
            e.starts_with("agent.gamma: must be a number in [0, 1]"),
            "{e}"
        );
    }
}
