"""Fixed vocabularies of the world: geography, devices, firmographics, names and site pages."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

COMPANY_BRAND = "MDP Demo"


class Country(NamedTuple):
    name: str
    weight: float
    continent: str
    sub_continent: str
    lead_effect: float  # additive effect on the true log-odds of a lead being won
    cities: tuple[tuple[str, str], ...]  # (city, region)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "United States",
        0.42,
        "Americas",
        "Northern America",
        0.25,
        (
            ("New York", "New York"),
            ("San Francisco", "California"),
            ("Austin", "Texas"),
            ("Chicago", "Illinois"),
            ("Seattle", "Washington"),
            ("Boston", "Massachusetts"),
        ),
    ),
    Country(
        "United Kingdom",
        0.11,
        "Europe",
        "Northern Europe",
        0.20,
        (("London", "England"), ("Manchester", "England"), ("Edinburgh", "Scotland")),
    ),
    Country(
        "Germany",
        0.08,
        "Europe",
        "Western Europe",
        0.10,
        (("Berlin", "Berlin"), ("Munich", "Bavaria"), ("Hamburg", "Hamburg")),
    ),
    Country(
        "India",
        0.08,
        "Asia",
        "Southern Asia",
        -0.50,
        (("Bengaluru", "Karnataka"), ("Mumbai", "Maharashtra"), ("Delhi", "Delhi")),
    ),
    Country(
        "Canada",
        0.06,
        "Americas",
        "Northern America",
        0.15,
        (("Toronto", "Ontario"), ("Vancouver", "British Columbia"), ("Montreal", "Quebec")),
    ),
    Country(
        "France",
        0.05,
        "Europe",
        "Western Europe",
        0.0,
        (("Paris", "Ile-de-France"), ("Lyon", "Auvergne-Rhone-Alpes")),
    ),
    Country(
        "Netherlands",
        0.04,
        "Europe",
        "Western Europe",
        0.10,
        (("Amsterdam", "North Holland"), ("Rotterdam", "South Holland")),
    ),
    Country(
        "Australia",
        0.04,
        "Oceania",
        "Australasia",
        0.05,
        (("Sydney", "New South Wales"), ("Melbourne", "Victoria")),
    ),
    Country(
        "Brazil",
        0.04,
        "Americas",
        "South America",
        -0.40,
        (("Sao Paulo", "State of Sao Paulo"), ("Rio de Janeiro", "State of Rio de Janeiro")),
    ),
    Country(
        "Spain",
        0.03,
        "Europe",
        "Southern Europe",
        -0.10,
        (("Madrid", "Community of Madrid"), ("Barcelona", "Catalonia")),
    ),
    Country("Singapore", 0.03, "Asia", "Southeast Asia", 0.0, (("Singapore", "Singapore"),)),
    Country(
        "Sweden", 0.02, "Europe", "Northern Europe", 0.10, (("Stockholm", "Stockholm County"),)
    ),
)


CITY_NAMES = tuple(city for country in COUNTRIES for city, _ in country.cities)
CITY_REGIONS = tuple(region for country in COUNTRIES for _, region in country.cities)
_CITY_OFFSET = np.cumsum([0] + [len(c.cities) for c in COUNTRIES])


def city_index(country: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Index into CITY_NAMES of the `city`-th city of each country."""
    return _CITY_OFFSET[country] + city


class Device(NamedTuple):
    category: str
    operating_system: str
    os_version: str
    browser: str
    browser_version: str
    brand: str
    model: str
    weight: float


DEVICES: tuple[Device, ...] = (
    Device(
        "desktop", "Windows", "Windows 11", "Chrome", "131.0.6778.86", "Microsoft", "Chrome", 0.30
    ),
    Device("desktop", "Windows", "Windows 10", "Edge", "131.0.2903.70", "Microsoft", "Edge", 0.10),
    Device(
        "desktop",
        "Macintosh",
        "Macintosh Intel 10.15",
        "Chrome",
        "131.0.6778.86",
        "Apple",
        "Chrome",
        0.15,
    ),
    Device(
        "desktop", "Macintosh", "Macintosh Intel 10.15", "Safari", "18.1", "Apple", "Safari", 0.10
    ),
    Device("desktop", "Windows", "Windows 10", "Firefox", "133.0", "Microsoft", "Firefox", 0.04),
    Device(
        "desktop", "Linux", "Linux x86_64", "Chrome", "131.0.6778.86", "(not set)", "Chrome", 0.02
    ),
    Device(
        "desktop",
        "Chrome OS",
        "Chrome OS 15917",
        "Chrome",
        "131.0.6778.86",
        "Google",
        "Chromebook",
        0.01,
    ),
    Device("mobile", "iOS", "iOS 18.1", "Safari", "18.1", "Apple", "iPhone", 0.13),
    Device(
        "mobile", "Android", "Android 14", "Chrome", "131.0.6778.81", "Samsung", "Galaxy S24", 0.11
    ),
    Device("mobile", "iOS", "iOS 17.6", "Chrome", "131.0.6778.73", "Apple", "iPhone", 0.02),
    Device("tablet", "iOS", "iPadOS 18.1", "Safari", "18.1", "Apple", "iPad", 0.02),
)


class Industry(NamedTuple):
    name: str
    weight: float
    fit: float  # how well the industry matches the ideal customer profile
    lead_effect: float


INDUSTRIES: tuple[Industry, ...] = (
    Industry("Software", 0.22, 0.6, 0.45),
    Industry("Financial Services", 0.10, 0.4, 0.30),
    Industry("Professional Services", 0.12, 0.2, 0.20),
    Industry("Healthcare", 0.08, 0.0, 0.0),
    Industry("Retail", 0.10, -0.2, -0.20),
    Industry("Manufacturing", 0.10, -0.1, -0.10),
    Industry("Education", 0.07, -0.4, -0.50),
    Industry("Media", 0.06, 0.1, 0.10),
    Industry("Telecommunications", 0.05, 0.1, 0.10),
    Industry("Nonprofit", 0.04, -0.5, -0.60),
    Industry("Logistics", 0.06, -0.1, -0.10),
)


class Seniority(NamedTuple):
    name: str
    lead_effect: float
    titles: tuple[str, ...]


SENIORITIES: tuple[Seniority, ...] = (
    Seniority("c_level", 0.55, ("CEO", "CTO", "COO", "Chief Revenue Officer", "Founder")),
    Seniority("vp", 0.45, ("VP Sales", "VP Marketing", "VP Operations", "VP Customer Success")),
    Seniority(
        "director",
        0.30,
        (
            "Director of Sales",
            "Director of Marketing",
            "Director of Revenue Operations",
            "Head of Growth",
        ),
    ),
    Seniority(
        "manager",
        0.0,
        ("Sales Manager", "Marketing Manager", "RevOps Manager", "Operations Manager"),
    ),
    Seniority(
        "individual",
        -0.45,
        (
            "Sales Representative",
            "Marketing Specialist",
            "Business Analyst",
            "Account Manager",
            "Consultant",
        ),
    ),
    Seniority("other", -1.0, ("Student", "Intern", "Freelancer")),
)

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Sandra Mark Ashley Paul Emily Steven Michelle Andrew Amanda Joshua Melissa Kevin Laura Brian "
    "Rebecca Priya Arjun Sofia Lukas Emma Noah Chloe Lucas Mia Hugo Ana Mateo Lea Felix Aisha "
    "Wei Yuki Omar Ingrid Lars"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Patel Sharma Muller Schmidt Schneider Dubois Laurent Rossi Silva Santos Jansen "
    "Andersson Tanaka Chen Kim Novak Kowalski Murphy Kelly OBrien"
).split()
_COMPANY_HEAD = (
    "North Blue Bright Silver Iron Red Green Swift True Clear Prime Summit Harbor Maple Cedar "
    "Atlas Nova Vertex Orbit Pioneer Quantum Granite Lumen Delta Apex"
).split()
_COMPANY_TAIL = (
    "stone wave path field bridge works logic point gate line peak forge labs grid dynamics "
    "metrics soft ware data cloud"
).split()
_COMPANY_KIND = (
    "Solutions Technologies Partners Analytics Health Retail Capital Logistics Media Consulting "
    "Systems Group"
).split()
_LEGAL = ("Inc", "LLC", "Ltd", "GmbH", "Co", "Corp")


def company_names(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique company names and web domains for distinct non-negative indices."""
    sizes = (len(_COMPANY_HEAD), len(_COMPANY_TAIL), len(_COMPANY_KIND))
    total = int(np.prod(sizes))
    indices = indices.astype(np.int64)
    # A fixed multiplier coprime with `total` scatters consecutive indices over the name grid.
    mixed = (indices * 7919) % total
    lap = np.where(indices >= total, (indices // total + 1).astype(str), "")
    head, rest = np.divmod(mixed, sizes[1] * sizes[2])
    tail, kind = np.divmod(rest, sizes[2])
    stem = np.char.add(np.array(_COMPANY_HEAD)[head], np.array(_COMPANY_TAIL)[tail])
    kind_name = np.char.add(np.array(_COMPANY_KIND)[kind], lap)
    legal = np.array(_LEGAL)[indices % len(_LEGAL)]
    names = np.char.add(np.char.add(np.char.add(stem, " "), np.char.add(kind_name, " ")), legal)
    domains = np.char.lower(np.char.add(np.char.add(np.char.add(stem, "-"), kind_name), ".example"))
    return names, domains


class Page(NamedTuple):
    path: str
    title: str


GENERAL_PAGES: tuple[Page, ...] = (
    Page("/", "Revenue analytics for B2B teams"),
    Page("/product", "Product overview"),
    Page("/features", "Features"),
    Page("/integrations", "Integrations"),
    Page("/customers", "Customer stories"),
    Page("/security", "Security and compliance"),
    Page("/about", "About us"),
    Page("/webinars", "Webinars"),
    Page("/resources/roi-calculator", "ROI calculator"),
    Page("/blog", "Blog"),
    Page("/blog/pipeline-forecasting-guide", "The pipeline forecasting guide"),
    Page("/blog/multi-touch-attribution", "Multi-touch attribution explained"),
    Page("/blog/churn-early-warning", "Early warning signs of churn"),
    Page("/blog/lead-scoring-101", "Lead scoring 101"),
    Page("/blog/revops-metrics", "12 RevOps metrics that matter"),
    Page("/blog/crm-hygiene", "CRM hygiene checklist"),
    Page("/careers", "Careers"),
)
PRICING_PAGE = Page("/pricing", "Pricing")
DEMO_PAGE = Page("/demo", "Book a demo")
SIGNUP_PAGE = Page("/signup", "Start your free trial")
BILLING_PAGE = Page("/account/billing", "Billing")
CHECKOUT_PAGE = Page("/checkout", "Checkout")
HOME_PAGE_INDEX = 0
BLOG_PAGE_INDICES = tuple(i for i, p in enumerate(GENERAL_PAGES) if p.path.startswith("/blog/"))
