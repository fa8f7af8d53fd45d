//! Who synthetic orders belong to and what they are called: a marketplace's long tail, not a
//! handful of people. Customers and sellers are drawn with a Zipf-like law (the k-th busiest
//! has about 1/k of the busiest one's orders), so a few sellers are large, most are small, and
//! most customers order once or twice; titles are composed from parts, so that a text search
//! finds a realistic share of orders rather than one in sixteen.

use crate::domain::{Actor, Role};

/// Customers in a realistic seed.
pub const CUSTOMERS: usize = 20_000;
/// Sellers in a realistic seed.
pub const SELLERS: usize = 2_000;
/// The law's exponent: 1 is the classic Zipf law of sales and popularity.
const EXPONENT: f64 = 1.0;

const FIRST_NAMES: &[&str] = &[
    "ana", "ben", "chloe", "dario", "emma", "farid", "greta", "hugo", "ines", "jonas", "kira",
    "luca", "mila", "noah", "olga", "pablo", "quinn", "rosa", "sami", "tara", "umar", "vera",
    "wim", "xenia", "yara", "zeno", "alba", "bruno", "cleo", "dina",
];
const LAST_NAMES: &[&str] = &[
    "kovacs",
    "meier",
    "rossi",
    "novak",
    "dubois",
    "silva",
    "jansen",
    "nowak",
    "horvat",
    "berg",
    "costa",
    "weber",
    "moreau",
    "lindqvist",
    "popescu",
    "kaya",
    "murphy",
    "fischer",
    "garcia",
    "olsen",
    "varga",
    "schmidt",
    "ricci",
    "petrov",
    "laine",
];
const SHOP_WORDS: &[&str] = &[
    "northwind",
    "paper",
    "fox",
    "linden",
    "harbour",
    "copper",
    "meadow",
    "atlas",
    "ember",
    "juniper",
    "lantern",
    "orbit",
    "pebble",
    "quill",
    "raven",
    "saffron",
    "tidal",
    "umber",
    "velvet",
    "willow",
];
const SHOP_KINDS: &[&str] = &[
    "prints", "studio", "press", "works", "design", "atelier", "crafts", "goods", "lab", "co",
];
const ITEMS: &[&str] = &[
    "Logo design",
    "Wedding invitation set",
    "Pin badge",
    "Sticker pack",
    "Portrait commission",
    "Business cards",
    "Poster",
    "Enamel pin",
    "Tote bag print",
    "Website banner",
    "Album cover",
    "Hand-painted mug",
    "Zine",
    "Pet portrait",
    "Birthday card",
    "Letterpress notebook",
    "Book cover",
    "Menu design",
    "Tattoo sketch",
    "Embroidered patch",
    "Ceramic vase",
    "Linocut print",
    "Calendar",
    "Map illustration",
    "Bookplate",
    "Greeting cards",
    "Label design",
    "Shop sign",
    "Photo retouch",
    "Knitted scarf",
];
const STYLES: &[&str] = &[
    "watercolour",
    "minimal",
    "vintage",
    "art deco",
    "botanical",
    "geometric",
    "hand-lettered",
    "pastel",
    "risograph",
    "ink",
    "gold foil",
    "monochrome",
    "folk",
    "neon",
    "woodcut",
];
const SUBJECTS: &[&str] = &[
    "fox",
    "moon",
    "lighthouse",
    "bakery",
    "cat",
    "mountains",
    "roses",
    "city skyline",
    "owl",
    "sea",
    "forest",
    "bicycle",
    "coffee",
    "whale",
    "garden",
    "dragon",
    "bees",
    "tram",
    "lemons",
    "stars",
];

/// Ranks drawn with probability proportional to 1/rank^EXPONENT.
pub struct Zipf {
    /// cumulative[k] = P(rank <= k + 1).
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(ranks: usize) -> Zipf {
        let mut cumulative = Vec::with_capacity(ranks);
        let mut total = 0.0;
        for rank in 1..=ranks.max(1) {
            total += 1.0 / (rank as f64).powf(EXPONENT);
            cumulative.push(total);
        }
        for weight in &mut cumulative {
            *weight /= total;
        }
        Zipf { cumulative }
    }

    /// A rank from 0 (the busiest) to ranks − 1.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> usize {
        let draw = rng.f64();
        self.cumulative
            .partition_point(|&p| p < draw)
            .min(self.cumulative.len() - 1)
    }
}

/// The customers and sellers of a seed, busiest first, and the law that picks among them.
pub struct Population {
    customers: Vec<String>,
    sellers: Vec<String>,
    customer_law: Zipf,
    seller_law: Zipf,
}

impl Population {
    /// Only the accounts given (the old seed: a stress case where a few people hold every
    /// order), drawn evenly.
    pub fn accounts(actors: &[Actor]) -> Population {
        let named = |role| -> Vec<String> {
            actors
                .iter()
                .filter(|a| a.role == role)
                .map(|a| a.name.clone())
                .collect()
        };
        let (customers, sellers) = (named(Role::Customer), named(Role::Seller));
        Population {
            customer_law: Zipf::even(customers.len()),
            seller_law: Zipf::even(sellers.len()),
            customers,
            sellers,
        }
    }

    /// `CUSTOMERS` customers and `SELLERS` sellers with a long tail. The accounts given come
    /// first, as the busiest: signed in as one of them, a benchmark sees the heaviest board
    /// a real marketplace would have.
    pub fn realistic(actors: &[Actor]) -> Population {
        let accounts = Population::accounts(actors);
        let customers = fill(accounts.customers, CUSTOMERS, customer_name);
        let sellers = fill(accounts.sellers, SELLERS, seller_name);
        Population {
            customer_law: Zipf::new(customers.len()),
            seller_law: Zipf::new(sellers.len()),
            customers,
            sellers,
        }
    }

    /// Every customer and seller, with their role.
    pub fn parties(&self) -> Vec<(String, Role)> {
        let customers = self.customers.iter().map(|n| (n.clone(), Role::Customer));
        let sellers = self.sellers.iter().map(|n| (n.clone(), Role::Seller));
        customers.chain(sellers).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.customers.is_empty() || self.sellers.is_empty()
    }

    pub fn customer(&self, rng: &mut fastrand::Rng) -> Actor {
        Actor::new(
            &self.customers[self.customer_law.sample(rng)],
            Role::Customer,
        )
    }

    pub fn seller(&self, rng: &mut fastrand::Rng) -> Actor {
        Actor::new(&self.sellers[self.seller_law.sample(rng)], Role::Seller)
    }
}

impl Zipf {
    /// Every rank equally likely.
    fn even(ranks: usize) -> Zipf {
        let ranks = ranks.max(1);
        Zipf {
            cumulative: (1..=ranks).map(|k| k as f64 / ranks as f64).collect(),
        }
    }
}

/// `names` followed by generated ones up to `count`.
fn fill(mut names: Vec<String>, count: usize, name: fn(usize) -> String) -> Vec<String> {
    let mut index = 0;
    while names.len() < count {
        let candidate = name(index);
        if !names.contains(&candidate) {
            names.push(candidate);
        }
        index += 1;
    }
    names
}

/// "emma.kovacs", then "emma.kovacs.2" once the pairs run out.
fn customer_name(index: usize) -> String {
    let pairs = FIRST_NAMES.len() * LAST_NAMES.len();
    let first = FIRST_NAMES[index % FIRST_NAMES.len()];
    let last = LAST_NAMES[(index / FIRST_NAMES.len()) % LAST_NAMES.len()];
    match index / pairs {
        0 => format!("{first}.{last}"),
        round => format!("{first}.{last}.{}", round + 1),
    }
}

/// "northwind-prints", then "northwind-prints-2".
fn seller_name(index: usize) -> String {
    let pairs = SHOP_WORDS.len() * SHOP_KINDS.len();
    let word = SHOP_WORDS[index % SHOP_WORDS.len()];
    let kind = SHOP_KINDS[(index / SHOP_WORDS.len()) % SHOP_KINDS.len()];
    match index / pairs {
        0 => format!("{word}-{kind}"),
        round => format!("{word}-{kind}-{}", round + 1),
    }
}

/// "Poster, watercolour, lighthouse": 9,000 different titles.
pub fn title(rng: &mut fastrand::Rng) -> String {
    format!(
        "{}, {}, {}",
        ITEMS[rng.usize(..ITEMS.len())],
        STYLES[rng.usize(..STYLES.len())],
        SUBJECTS[rng.usize(..SUBJECTS.len())]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_take_a_long_tailed_share() {
        let population = Population::realistic(&[
            Actor::new("carol", Role::Customer),
            Actor::new("sam", Role::Seller),
        ]);
        assert_eq!(
            (population.customers.len(), population.sellers.len()),
            (CUSTOMERS, SELLERS)
        );
        let mut unique = population.customers.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), CUSTOMERS);
        let mut rng = fastrand::Rng::with_seed(1);
        let mut per_seller = std::collections::HashMap::new();
        let draws = 200_000;
        for _ in 0..draws {
            *per_seller
                .entry(population.seller(&mut rng).name)
                .or_insert(0) += 1;
        }
        // sam is the busiest: about 1 / H(2000) ≈ 12 % of the orders.
        let sam = per_seller["sam"] as f64 / draws as f64;
        assert!((0.10..0.145).contains(&sam), "{sam}");
        // The tenth busiest has about a tenth of that, and most sellers some orders.
        let tenth = per_seller[&population.sellers[9]] as f64 / draws as f64;
        assert!((sam / 14.0..sam / 7.0).contains(&tenth), "{tenth}");
        assert!(per_seller.len() > 1_500, "{}", per_seller.len());
    }
}
