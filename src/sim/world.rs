//! Videos and users (notebook cells 2-5), generated deterministically from a seed.

use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::config::WorldConfig;
use crate::rng::{pick, uniform_int};

/// The notebook's eight video categories, in the order of its `VID_CATEGORY_MAP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// comedy
    Comedy,
    /// educational
    Educational,
    /// news
    News,
    /// food
    Food,
    /// politics
    Politics,
    /// animals
    Animals,
    /// tech
    Tech,
    /// fashion
    Fashion,
}

impl Category {
    /// All categories, indexed by their embedding id.
    pub const ALL: [Category; 8] = [
        Category::Comedy,
        Category::Educational,
        Category::News,
        Category::Food,
        Category::Politics,
        Category::Animals,
        Category::Tech,
        Category::Fashion,
    ];

    /// Embedding id.
    pub fn id(self) -> usize {
        self as usize
    }

    /// Lower-case name, as in the notebook.
    pub fn name(self) -> &'static str {
        match self {
            Category::Comedy => "comedy",
            Category::Educational => "educational",
            Category::News => "news",
            Category::Food => "food",
            Category::Politics => "politics",
            Category::Animals => "animals",
            Category::Tech => "tech",
            Category::Fashion => "fashion",
        }
    }

    /// Parse a lower-case name.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// The notebook's three regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// west
    West,
    /// mid(west)
    Mid,
    /// east
    East,
}

impl Region {
    /// All regions, indexed by embedding id.
    pub const ALL: [Region; 3] = [Region::West, Region::Mid, Region::East];

    /// Embedding id.
    pub fn id(self) -> usize {
        self as usize
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Region::West => "west",
            Region::Mid => "mid",
            Region::East => "east",
        }
    }

    /// Parse a lower-case name.
    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// The notebook's two genders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// m
    M,
    /// f
    F,
}

impl Gender {
    /// Embedding id.
    pub fn id(self) -> usize {
        self as usize
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Gender::M => "m",
            Gender::F => "f",
        }
    }

    /// Parse a lower-case name.
    pub fn parse(s: &str) -> Option<Gender> {
        match s {
            "m" => Some(Gender::M),
            "f" => Some(Gender::F),
            _ => None,
        }
    }
}

/// A video of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    /// Index in the catalogue.
    pub id: usize,
    /// Category.
    pub category: Category,
    /// Length in seconds.
    pub duration: f64,
    /// Creator index.
    pub creator: usize,
    /// View count; grows as the video is shown.
    pub views: i64,
}

/// A user with the demographics and the two interests of the notebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Index.
    pub id: usize,
    /// Age in years.
    pub age: u32,
    /// Gender.
    pub gender: Gender,
    /// Region.
    pub region: Region,
    /// Two interest categories, drawn with replacement as `np.random.choice(categories, 2)`
    /// does, so both may be the same.
    pub interests: [Category; 2],
}

impl User {
    /// Whether the category is one of the user's interests.
    pub fn likes_category(&self, c: Category) -> bool {
        self.interests.contains(&c)
    }
}

/// The catalogue and the user base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// Videos, indexed by id.
    pub videos: Vec<Video>,
    /// Users, indexed by id.
    pub users: Vec<User>,
    /// Number of creators.
    pub n_creators: usize,
}

impl World {
    /// Draw videos then users, in the notebook's order (cells 4 and 5).
    pub fn generate<R: Rng>(cfg: &WorldConfig, rng: &mut R) -> World {
        let views = Normal::new(cfg.views_mean, cfg.views_sd).expect("validated sd >= 0");
        let videos = (0..cfg.n_videos)
            .map(|id| Video {
                id,
                category: pick(rng, &Category::ALL),
                duration: cfg.video_duration,
                creator: uniform_int(rng, cfg.n_creators),
                views: views.sample(rng).round().max(0.0) as i64,
            })
            .collect();
        let users = (0..cfg.n_users)
            .map(|id| World::draw_user(cfg, id, rng))
            .collect();
        World {
            videos,
            users,
            n_creators: cfg.n_creators,
        }
    }

    fn draw_user<R: Rng>(cfg: &WorldConfig, id: usize, rng: &mut R) -> User {
        let span = (cfg.age_max - cfg.age_min + 1) as usize;
        User {
            id,
            age: cfg.age_min + uniform_int(rng, span) as u32,
            gender: pick(rng, &[Gender::M, Gender::F]),
            region: pick(rng, &Region::ALL),
            interests: [pick(rng, &Category::ALL), pick(rng, &Category::ALL)],
        }
    }

    /// Add a user (the reader, in the playground's "you are the user" mode); returns its id.
    pub fn add_user(
        &mut self,
        age: u32,
        gender: Gender,
        region: Region,
        interests: [Category; 2],
    ) -> usize {
        let id = self.users.len();
        self.users.push(User {
            id,
            age,
            gender,
            region,
            interests,
        });
        id
    }
}
