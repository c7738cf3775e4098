//! The state inspector: the vector the Q-network receives for a decision, entry by entry,
//! each labelled (plain numbers with their raw values, embedding entries with the id and the
//! name of the category, region, gender or action they encode). One row for the `SlotHeads`
//! network (the state), one row per candidate for the `PairScorer` (state and candidate).
//! Each row has exactly as many entries as the network's first layer takes.

use serde::{Deserialize, Serialize};

use super::{Architecture, DqnAgent, Observation};
use crate::sim::behaviour::Action;
use crate::sim::world::{Category, Gender, Region};

/// Raw values behind an observation's plain numbers, for the labels (the observation holds
/// them scaled in the `default` preset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawFeatures {
    /// Age in years, videos watched this session, session seconds.
    pub numeric: [f64; 3],
    /// Each candidate's view count, by slot.
    pub views: Vec<f64>,
}

/// One entry of the network's input vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputEntry {
    /// Position in the row (0-based).
    pub index: usize,
    /// What it is, e.g. `age`, `slot 3 score`, `region embedding [1]`.
    pub label: String,
    /// `numeric` (state number), `candidate` (a candidate's number) or `embedding`.
    pub kind: String,
    /// The value the network receives.
    pub value: f32,
    /// The unscaled value behind a number, when known (age in years, views, the business
    /// score a slot would carry even where the notebook's bug zeroes it).
    pub raw: Option<f64>,
    /// For an embedding entry: the id looked up.
    pub id: Option<usize>,
    /// For an embedding entry: the id's name (`tech`, `mid`, `f`, `liked`).
    pub name: Option<String>,
}

/// One input row: the state (`slot: None`, SlotHeads) or a (state, candidate) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRow {
    /// The candidate slot the row scores (PairScorer), `None` for the state row (SlotHeads).
    pub slot: Option<usize>,
    /// The entries, in the order the first layer takes them.
    pub entries: Vec<InputEntry>,
}

/// The network's whole input for one decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateInspection {
    /// The network layout.
    pub architecture: Architecture,
    /// Entries per row: the first layer's fan-in.
    pub input_width: usize,
    /// The rows.
    pub rows: Vec<InputRow>,
    /// The Q-value of each usable slot.
    pub q_values: Vec<f32>,
}

/// Names and vocabularies of the categorical fields, in the network's order.
const STATE_FIELD_NAMES: [&str; 6] = [
    "gender",
    "region",
    "interest 1",
    "interest 2",
    "last category",
    "last action",
];

/// `id_name`'s field number for the (user region x candidate category) cell.
const CELL_FIELD: usize = 6;

fn id_name(field: usize, id: usize) -> String {
    if field == CELL_FIELD {
        let n = Category::ALL.len();
        return match (Region::ALL.get(id / n), Category::ALL.get(id % n)) {
            (Some(r), Some(c)) => format!("{} {}", r.name(), c.name()),
            _ => "?".to_string(),
        };
    }
    let name = match field {
        0 => [Gender::M, Gender::F].get(id).map(|g| g.name()),
        1 => Region::ALL.get(id).map(|r| r.name()),
        5 => Action::ALL.get(id).map(|a| a.name()),
        _ => Category::ALL.get(id).map(|c| c.name()),
    };
    name.unwrap_or("?").to_string()
}

impl DqnAgent {
    /// The labelled input the online network receives for `obs` (see the module doc).
    /// `raw` supplies the unscaled values for the labels; without it `raw` is only filled
    /// where the observation itself holds it.
    pub fn inspect(&self, obs: &Observation, raw: Option<&RawFeatures>) -> StateInspection {
        let net = self.online_net();
        let slots = self.usable_slots(obs);
        let include = self.config().include_candidate_scores;
        let arch = self.config().architecture;
        let mut inp = net.inputs(include);
        if slots > 0 {
            inp.push_all(obs, slots);
        }
        let widths = net.embedding_widths();
        let ids = obs.state_ids();
        let numeric_labels = ["age", "videos watched this session", "session seconds"];
        let rows = (0..inp.rows())
            .map(|r| {
                let values = net.first_layer_input(&inp, r);
                let slot = (arch == Architecture::PairScorer).then_some(r);
                // (label, kind, raw, id, name), in the order of the row.
                type Label = (
                    String,
                    &'static str,
                    Option<f64>,
                    Option<usize>,
                    Option<String>,
                );
                let mut labels: Vec<Label> = Vec::new();
                for (i, l) in numeric_labels.iter().enumerate() {
                    let raw = raw.map(|x| x.numeric[i]);
                    labels.push((l.to_string(), "numeric", raw, None, None));
                }
                match slot {
                    None => {
                        for i in 0..net_slots(values.len(), &widths) {
                            let raw = obs.candidates.get(i).map(|c| f64::from(c.score));
                            labels.push((format!("slot {i} score"), "candidate", raw, None, None));
                        }
                    }
                    Some(s) => {
                        let c = &obs.candidates[s];
                        let views = raw.and_then(|x| x.views.get(s).copied());
                        for (label, raw) in [
                            ("candidate similarity", Some(f64::from(c.similarity))),
                            ("candidate views", views),
                            ("candidate interest match", Some(f64::from(c.interest))),
                            ("candidate score", Some(f64::from(c.score))),
                        ] {
                            labels.push((label.to_string(), "candidate", raw, None, None));
                        }
                    }
                }
                // (field label, vocabulary kind for the name, id)
                let mut fields: Vec<(&str, usize, usize)> = STATE_FIELD_NAMES
                    .iter()
                    .enumerate()
                    .map(|(f, &n)| (n, f, ids[f]))
                    .collect();
                if let Some(s) = slot {
                    let category = obs.candidates[s].category;
                    fields.push(("candidate category", 2, category));
                    let region = obs.region.min(Region::ALL.len() - 1);
                    let cell = region * Category::ALL.len() + category.min(Category::ALL.len() - 1);
                    fields.push(("candidate region x category", CELL_FIELD, cell));
                }
                for (&(name, vocab, id), &w) in fields.iter().zip(&widths) {
                    for k in 0..w {
                        labels.push((
                            format!("{name} embedding [{k}]"),
                            "embedding",
                            None,
                            Some(id),
                            Some(id_name(vocab, id)),
                        ));
                    }
                }
                let entries = labels
                    .into_iter()
                    .zip(values)
                    .enumerate()
                    .map(
                        |(index, ((label, kind, raw, id, name), value))| InputEntry {
                            index,
                            label,
                            kind: kind.to_string(),
                            value,
                            raw,
                            id,
                            name,
                        },
                    )
                    .collect();
                InputRow { slot, entries }
            })
            .collect();
        StateInspection {
            architecture: arch,
            input_width: net.fan_in(),
            rows,
            q_values: self.q_values(obs),
        }
    }
}

/// SlotHeads' score inputs: the row's plain numbers past the three state numbers.
fn net_slots(row_len: usize, widths: &[usize]) -> usize {
    row_len - 3 - widths.iter().sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{AgentConfig, Architecture};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn labels_cover_the_networks_input_width_for_both_layouts() {
        for (arch, include) in [
            (Architecture::SlotHeads, false),
            (Architecture::SlotHeads, true),
            (Architecture::PairScorer, true),
        ] {
            let cfg = AgentConfig {
                architecture: arch,
                include_candidate_scores: include,
                ..AgentConfig::default_preset()
            };
            let agent = DqnAgent::new(&cfg, 10, 3);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
            for n in [10, 4] {
                let obs = crate::agent::random_observation(&mut rng, n);
                let raw = RawFeatures {
                    numeric: [24.0, 3.0, 40.0],
                    views: (0..n).map(|i| 50.0 + i as f64).collect(),
                };
                let ins = agent.inspect(&obs, Some(&raw));
                let net = agent.online_net();
                assert_eq!(ins.input_width, net.fan_in());
                let expected_rows = match arch {
                    Architecture::SlotHeads => 1,
                    Architecture::PairScorer => n,
                };
                assert_eq!(ins.rows.len(), expected_rows);
                let mut inp = net.inputs(include);
                inp.push_all(&obs, n);
                for (r, row) in ins.rows.iter().enumerate() {
                    assert_eq!(row.entries.len(), net.fan_in(), "{arch:?}");
                    let values: Vec<f32> = row.entries.iter().map(|e| e.value).collect();
                    assert_eq!(values, net.first_layer_input(&inp, r));
                    assert_eq!(row.entries[0].raw, Some(24.0));
                    assert_eq!(row.entries[0].value, obs.numeric[0]);
                    let emb: Vec<&InputEntry> = row
                        .entries
                        .iter()
                        .filter(|e| e.kind == "embedding")
                        .collect();
                    assert_eq!(emb.len(), net.embedding_widths().iter().sum::<usize>());
                    let region = emb.iter().find(|e| e.label.starts_with("region")).unwrap();
                    assert_eq!(region.id, Some(obs.region));
                    assert_eq!(region.name.as_deref(), Some(Region::ALL[obs.region].name()));
                    let action = emb
                        .iter()
                        .find(|e| e.label.starts_with("last action"))
                        .unwrap();
                    assert_eq!(
                        action.name.as_deref(),
                        Some(Action::ALL[obs.last_action].name())
                    );
                    if let Some(s) = row.slot {
                        let cat = emb
                            .iter()
                            .find(|e| e.label.starts_with("candidate category"))
                            .unwrap();
                        let c = obs.candidates[s].category;
                        assert_eq!(cat.name.as_deref(), Some(Category::ALL[c].name()));
                        let views = row.entries.iter().find(|e| e.label == "candidate views");
                        assert_eq!(views.unwrap().raw, Some(50.0 + s as f64));
                    } else {
                        // The notebook's bug: the slots exist but stay 0 unless included.
                        let slot0 = &row.entries[3];
                        assert_eq!(slot0.label, "slot 0 score");
                        let expected = if include {
                            obs.candidates[0].score
                        } else {
                            0.0
                        };
                        assert_eq!(slot0.value, expected);
                    }
                }
                assert_eq!(ins.q_values, agent.q_values(&obs));
            }
        }
    }
}
