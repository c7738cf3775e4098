//! Exports of a training run as plain text: the per-episode metrics and the learning curve as
//! CSV (the page offers it as a download; `instatok train --csv FILE` writes it).

use crate::experiment::EpisodeRecord;

/// Episodes averaged by the `return_moving_avg` column (the page's moving average).
pub const MOVING_AVERAGE: usize = 50;

/// The CSV header, in column order.
pub const EPISODES_CSV_HEADER: &str = "episode,user,return,return_moving_avg,steps,watched,likes,skips,session_seconds,mean_loss,epsilon";

/// The episode records as CSV: the header, then one row per episode. `return_moving_avg` is
/// the mean return of the last [`MOVING_AVERAGE`] episodes up to this one (fewer at the
/// start): the learning curve. `mean_loss` is empty for an episode without a replay update.
/// Numbers are written in Rust's shortest round-trip form.
pub fn episodes_csv(episodes: &[EpisodeRecord]) -> String {
    let mut out = String::with_capacity(64 * (episodes.len() + 1));
    out.push_str(EPISODES_CSV_HEADER);
    out.push('\n');
    let mut window = 0.0;
    for (i, e) in episodes.iter().enumerate() {
        window += e.return_;
        if i >= MOVING_AVERAGE {
            window -= episodes[i - MOVING_AVERAGE].return_;
        }
        let avg = window / (i + 1).min(MOVING_AVERAGE) as f64;
        let loss = e.mean_loss.map_or(String::new(), |l| l.to_string());
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            e.episode,
            e.user,
            e.return_,
            avg,
            e.steps,
            e.watched,
            e.likes,
            e.skips,
            e.session_seconds,
            loss,
            e.epsilon
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(episode: usize, ret: f64, loss: Option<f32>) -> EpisodeRecord {
        EpisodeRecord {
            episode,
            user: 3,
            return_: ret,
            steps: 4,
            watched: 2,
            likes: 1,
            skips: 1,
            session_seconds: 14.5,
            mean_loss: loss,
            epsilon: 0.5,
        }
    }

    #[test]
    fn one_row_per_episode_with_the_moving_average() {
        let eps: Vec<EpisodeRecord> = (0..60)
            .map(|i| rec(i, i as f64, (i > 0).then_some(0.25)))
            .collect();
        let csv = episodes_csv(&eps);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 61);
        assert_eq!(lines[0], EPISODES_CSV_HEADER);
        let cols = EPISODES_CSV_HEADER.split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == cols));
        assert_eq!(lines[1], "0,3,0,0,4,2,1,1,14.5,,0.5");
        assert_eq!(lines[3], "2,3,2,1,4,2,1,1,14.5,0.25,0.5");
        // Episode 59: the mean of returns 10..=59 = 34.5.
        assert!(lines[60].starts_with("59,3,59,34.5,"), "{}", lines[60]);
        assert_eq!(episodes_csv(&[]), format!("{EPISODES_CSV_HEADER}\n"));
    }
}
