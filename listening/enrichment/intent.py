"""Intent of a social post: question, complaint, idea, praise, lead or other.

Rule-based and per language. The text is accent-folded and lowercased with
:func:`~listening.enrichment.trackers.text_fold`, then each intent's patterns
run as one compiled alternation (one named group per pattern, so a single
scan tells which patterns fired). English posts use the English patterns,
Dutch posts the Dutch ones, and a post of unknown language both: a short
post is often undetectable, and the two pattern sets barely overlap.

Every pattern has a weight: 1.0 for a clear signal ("werkt niet",
"please add", "how do I"), 0.5 for a weak one (a lone "?", "storing",
"refund", an emoji). An intent's score is the sum over the distinct patterns
that fired; a score of 1.0 or more is *strong*.

Precedence, first match wins. The order follows what staff must do with the
post, not which words are loudest:

1. Empty text: ``other``.
2. Strong complaint. A complaint phrased as a question ("why is the app still
   not working?") or wrapped in thanks ("thanks for nothing", "great job 🙄"
   during an outage) is still a complaint.
3. Strong idea. Suggestions are often questions ("could you add ...?",
   "waarom niet ...?") or come after praise ("love the app, wish it had ...").
4. Lead: a purchase or switch signal ("what does solar cost", "offerte",
   "thinking of switching"), also when asked as a question; but strong praise
   without a question wins and is not a lead ("easiest switch ever").
5. Strong question: an interrogative opener at the start of a sentence
   ("how do I", "kan ik", "weet iemand"). A lone "?" only counts as weak.
6. Weak complaint against praise: praise wins only when it is stronger
   ("bedankt, de terugbetaling stond er binnen een week op" is praise; the
   refund is the topic, not the complaint).
7. Praise, then weak idea, then weak question (a "?" alone), else ``other``.

``is_lead`` is independent of the label, except that praise (above) and
ideas ("a calculator for switching would help") are never leads: it is set
whenever a lead pattern fires, so "too expensive, I'm switching" is a
complaint and a lead (a switch signal is
worth a look whichever tracker caught it). A lead pattern right after a
negation ("not switching", "niet overstappen") does not count.

Confidence says how clearly the rules fired: it grows with the label's score
(``1 - exp(-1.2 * score)``: 0.45 for one weak pattern, 0.70 for one strong,
0.91 for two) and shrinks when other intents fired too (by up to half, in
proportion to their share of the total score). ``other`` with no signal at
all is 0.5 (nothing fired either way); empty text is ``other`` at 1.0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from listening.enrichment.trackers import text_fold

INTENTS = ("question", "complaint", "idea", "praise", "lead", "other")

STRONG = 1.0
WEAK = 0.5

_APOS = "['\u2019]"
# Where an interrogative opener may start: the beginning of the text or of a
# sentence or clause, after any @handles ("@vonk how do I ...").
_START = r"(?:^|[.!?;:,\n\"(]\s*)(?:@[\w.]+[\s,:]*)*"
# Subjects after a verb-first question ("can you", "kan ik", "is er").
_EN_SUBJECT = (
    r"(?:you|u|i|we|they|it|this|that|there|anyone|anybody|someone|somebody"
    r"|vonk|my|our|your|the|he|she)"
)
_NL_SUBJECT = (
    r"(?:ik|je|jij|u|jullie|we|wij|ze|zij|er|het|dit|dat|de|mijn|ons|onze"
    r"|vonk|iemand|men)"
)

# Each entry: (regex source on folded text, weight).
Patterns = tuple[tuple[str, float], ...]

_EN: dict[str, Patterns] = {
    "question": (
        (r"\?", WEAK),
        (
            _START + r"(?:how(?! (?:nice|great|lovely|annoying|sad|rude|awful"
            r"|ridiculous|about|dare)\b)|what(?! (?:an?|great|lovely|nice"
            r"|terrible|joke|mess|shame)\b)|why(?! not\b)|when|where|who|which)\b",
            STRONG,
        ),
        (
            _START + r"(?:can|could|do|does|did|is|are|was|will|would|should"
            r"|has|have|may|am)\s+" + _EN_SUBJECT + r"\b",
            STRONG,
        ),
        (
            r"\b(?:any ?one|any ?body|some ?one) (?:know|knows|got|have|has)\b"
            r"|\bany idea(?:s)? (?:how|why|when|if|whether|what)\b"
            r"|\bquick question\b|\bquestion (?:for|about|:)|\bwondering (?:if"
            r"|whether|how|why|when|what)\b",
            STRONG,
        ),
    ),
    "complaint": (
        (r"\boutages?\b|\bpower cuts?\b|\bblackouts?\b", WEAK),
        (r"\brefund(?:s|ed)?\b|\bwaiting (?:for|since|on)\b", WEAK),
        (
            r"!{2,}|\bestimated (?:bills?|readings?)\b|\bin a row\b|\b(?:second"
            r"|third|fourth|fifth|\d+(?:nd|rd|th)) time\b|\btwice\b|\bunreal\b",
            WEAK,
        ),
        (
            r"\b(?:without|zero|no) (?:any )?(?:explanation|warning|notice)\b"
            r"|\bhung up on\b|\bsort it out\b|\bthrowing (?:an? )?(?:error|\d{3})\b",
            STRONG,
        ),
        ("[\U0001f621\U0001f92c\U0001f624\U0001f644\U0001f44e\U0001f620]", WEAK),
        (
            r"\b(?:is|are|was|were|been)\s+(?:\w+\s+)?(?:down|offline)\b"
            r"(?!\s+(?:to|by|from)\b)|\bdown again\b",
            STRONG,
        ),
        (
            r"\bnot (?:working|loading)\b|\b(?:is|are|was)n" + _APOS + r"?t working"
            r"|\b(?:does|do|did)(?:n" + _APOS + r"?t| not) work\b"
            r"|\b(?:won" + _APOS + r"?t|will not) (?:work|load|open|let|accept)\b"
            r"|\bstopped working\b|\bno longer works?\b|\bnever works\b|\bbroken\b",
            STRONG,
        ),
        (
            r"\b(?:can" + _APOS + r"?t|cannot|can not|unable to|impossible to)"
            r" (?:even )?(?:log ?in|sign in|reach|get through|pay|access|see|open"
            r"|submit|find|contact|download)\b",
            STRONG,
        ),
        (
            r"\bstill (?:waiting|nothing|no|not|haven"
            + _APOS
            + r"?t|hasn"
            + _APOS
            + r"?t|don"
            + _APOS
            + r"?t|doesn"
            + _APOS
            + r"?t)\b",
            STRONG,
        ),
        (
            r"\bno (?:response|reply|answer)\b|\bno one (?:answers|responds|replies"
            r"|picks up|gets back)\b|\bnobody (?:answers|responds|replies|picks up"
            r"|gets back|helps)\b|\bnever (?:heard|got) back\b|\bhaven"
            + _APOS
            + r"?t heard\b|\bignor(?:ing|ed) (?:me|my|us)\b|\bon hold\b",
            STRONG,
        ),
        (
            r"(?<!no )(?<!zero )(?<!any )(?<!n't )(?<!n\u2019t )"
            r"\bcomplain(?:t|ts|ed|ing)?\b",
            STRONG,
        ),
        (
            r"\bscam(?:s|mers|med)?\b|\brip-? ?off\b|\bripped off\b|\bfraud\w*"
            r"|\brobbery\b|\bthieves\b|\bcrooks\b",
            STRONG,
        ),
        (
            r"\bovercharg\w*|\b(?:charged|billed) (?:me |us )?(?:twice|double"
            r"|too much)\b|\bdouble[- ]?(?:charged|billed)\b|\b(?:wrong|incorrect)"
            r" (?:\w+ )?(?:bills?|invoices?|amounts?|readings?|estimates?)\b"
            r"|\b(?:estimat\w+|read\w*|bill\w*) (?:\w+ )?wrong\b",
            STRONG,
        ),
        (r"\btoo (?:high|expensive|much)\b|\bextortionate\b|\bwent up\b", STRONG),
        (
            r"\b(?:terrible|awful|horrible|worst|useless|pathetic|ridiculous"
            r"|disgrace\w*|shameful|shocking|appalling|unacceptable|incompetent"
            r"|rubbish|garbage|joke|nightmare)\b",
            STRONG,
        ),
        (
            r"\bfed up\b|\bsick (?:and tired )?of\b|\bhad enough\b|\bdisappoint\w*"
            r"|\bfrustrat\w+|\bfurious\b|\bangry\b|\bannoy\w+|\bdo better\b",
            STRONG,
        ),
        (
            r"\bnot (?:very |really |so |too |at all |exactly )?(?:happy|impressed"
            r"|pleased|satisfied|helpful|good|great|ok|okay)\b|\bunhappy\b"
            r"|\bdissatisfied\b",
            STRONG,
        ),
        (
            r"\b(?:would|will|could|do|can)(?: not|n" + _APOS + r"?t) recommend\b"
            r"|\bavoid (?:vonk|them|at all)\b|\bstay away\b|\bthanks (?:a lot )?for"
            r" nothing\b",
            STRONG,
        ),
        (
            r"\bcrash(?:es|ed|ing)?\b|\bkeeps? (?:crashing|failing|logging|freezing"
            r"|estimating|charging|sending)\b|\berror\b|\bbugs?\b|\bbuggy\b"
            r"|\bglitch\w*|\bfreez(?:es|ing)\b",
            STRONG,
        ),
        (
            r"\bcancel\w* (?:my |our )?(?:\w+ )?(?:contract|account|subscription)\b",
            STRONG,
        ),
    ),
    "idea": (
        (
            r"\boption to\b|\bintegrat\w+ with\b|\b(?:needs?|should have)"
            r" (?:an? |to |proper |better |more )",
            WEAK,
        ),
        (
            r"(?:would|" + _APOS + r"d) be (?:so |really |very |super |much )?"
            r"(?:nice|great|good|handy|helpful|useful|awesome|cool|lovely|ideal"
            r"|amazing|better)\b",
            STRONG,
        ),
        (
            r"\b(?:please|pls|plz) (?:\w+ )?(?:add|make|introduce|consider|bring"
            r"|offer|allow|let|support|include|show)\b",
            STRONG,
        ),
        (
            r"\bfeature requests?\b|\bsuggestions?\b|\b(?:i|we) (?:would )?suggest\b"
            r"|\bidea\s*:|\bidea for\b|\bmy idea\b",
            STRONG,
        ),
        (r"\bwhy not\b|\bhow about\b|\bwhat about (?:adding|offering)\b", STRONG),
        (
            r"\b(?:could|can|would|will) (?:you|vonk|they|u) (?:please |pls |maybe "
            r"|also |just |ever |perhaps )?(?:add|make|offer|introduce|consider"
            r"|build|create|bring|allow|let|support|include|show|provide)\b",
            STRONG,
        ),
        (
            r"\b(?:would|" + _APOS + r"d) love (?:to see|it if|if|to have|a|an)\b"
            r"|\bwish (?:you|vonk|they|there|the app|it|i could|we could)\b",
            STRONG,
        ),
        (
            r"\bshould (?:really |definitely |also |just |seriously )?(?:add|offer"
            r"|make|introduce|consider|let|allow|support|include|show|provide"
            r"|bring)\b",
            STRONG,
        ),
        (
            r"\bwould (?:really |definitely |so )?(?:make|help)\b"
            r"|\badd(?:ing)? (?:an? )?(?:option|feature"
            r"|setting|button|way)\b",
            STRONG,
        ),
    ),
    "praise": (
        (
            r"\bcheers\b|\bsolid\b|\bhelpful\b|\bfriendl\w+|\bsmooth(?:ly)?\b"
            r"|\bgreat\b|\bgood\b|\bnice\b|\bcheapest\b|\bbest\b|\bwow\b"
            r"|\btop (?:guy|girl|man|woman|bloke|team|notch|class|stuff)\b",
            WEAK,
        ),
        (
            "[\U0001f44d\U0001f64f\u2764\U0001f60d\U0001f970\U0001f49a\U0001f44f"
            "\U0001f64c]",
            WEAK,
        ),
        (
            r"\bthank(?:s|s a lot|s so much| you| u)\b(?! (?:a lot )?for nothing)"
            r"|\bthx\b|\bappreciate[ds]?\b|\bgrateful\b",
            STRONG,
        ),
        (
            r"\b(?:great|good|nice|fantastic|excellent|amazing) (?:service|job|support"
            r"|help|app|experience|team|work|company|supplier|customer service"
            r"|people|one)\b|\bwell done\b|\bkudos\b|\bshout ?out\b|\bhats off\b"
            r"|\bprops to\b|\bbravo\b",
            STRONG,
        ),
        (
            r"\blov(?:e|ed|es|ing|ely)\b|\bexcellent\b|\bamazing\b|\bawesome\b"
            r"|\bfantastic\b|\bbrilliant\b|\bsuperb\b|\boutstanding\b|\btop notch\b"
            r"|\bimpress(?:ed|ive)\b|\bspot on\b|\bfirst class\b",
            STRONG,
        ),
        (
            r"\b(?:super|so|really|very|incredibly) (?:helpful|fast|quick|friendly"
            r"|easy|smooth|happy|pleased|clear)\b",
            STRONG,
        ),
        (
            r"\b(?:highly|definitely|would|can|100%) recommend\b|\brecommended\b"
            r"|\b(?:happy|pleased|satisfied|chuffed) (?:with|about|customer)\b",
            STRONG,
        ),
        (
            r"\bno (?:complaints|problems?|issues|surprises|hassle)\b|\bzero"
            r" (?:complaints|problems|issues)\b|\bcan" + _APOS + r"?t complain\b"
            r"|\bhassle[- ]free\b|\bpainless\b|\bseamless\w*",
            STRONG,
        ),
        (
            r"\b(?:quick(?:ly)?|fast|promptly|swiftly|instantly) (?:sorted|fixed"
            r"|resolved|helped|replied|responded|answered)\b|\bsorted (?:it|my|me"
            r"|out)\b|\b(?:fixed|resolved|sorted) (?:\w+ )?(?:in|within)"
            r" (?:\d+|minutes|no time|a day)\b",
            STRONG,
        ),
        (
            r"\bbest (?:energy )?(?:supplier|provider|company|customer service"
            r"|service|app)\b|\b(?:5|five) stars\b|\b10/10\b",
            STRONG,
        ),
    ),
    "lead": (
        (
            r"\blooking for (?:an? )?(?:new |cheaper |good |better |green |different"
            r" )*(?:energy |electricity |gas |power )?(?:supplier|provider|company"
            r"|contract|deal|tariff)s?\b|\bshopping around\b",
            STRONG,
        ),
        (
            r"\bswitch(?:ing)? (?:over )?(?:to|from|energy|suppliers?|providers?)\b"
            r"|\b(?:thinking (?:of|about)|considering|planning (?:on|to)|want(?:ing)?"
            r" to|going to|about to|tempted to|ready to|decided to|time to)"
            r" (?:switch\w*|move over|change (?:energy )?(?:supplier|provider))\b"
            r"|\bchange (?:energy |my energy |our energy )?(?:supplier|provider)\b"
            r"|\b(?:ditch|leav|dump|drop)\w* (?:my |our )?(?:current |old )?"
            r"(?:energy )?(?:supplier|provider)\b",
            STRONG,
        ),
        (
            r"\bwhich (?:energy |electricity |gas |solar |green )?(?:supplier|provider"
            r"|company|companies)s?\b|\b(?:which|who) is the best\b|\brecommend"
            r" (?:an? |a good )?(?:energy |electricity )?(?:supplier|provider)\b",
            STRONG,
        ),
        (
            r"\bhow much (?:does|do|would|will|is|are|did)\b.{0,60}?\b(?:cost|charge"
            r"|solar|panels?|batter(?:y|ies)|heat pumps?|chargers?|installation"
            r"|install|contract|tariff)\b|\bwhat (?:does|do|would|will)\b.{0,60}?"
            r"\bcost\b|\b(?:price|cost)s? (?:of|for) (?:an? |the )?(?:solar|panels"
            r"|home batter|batter|heat pump|installation|charger)",
            STRONG,
        ),
        (r"\bquotes?\b|\bquotation\b", STRONG),
        (
            r"\b(?:sign|signing|signed) up (?:with|for|to)\b|\bbecome a customer\b"
            r"|\binterested in (?:your|solar|an?|the|vonk|switching|joining"
            r"|signing)\b",
            STRONG,
        ),
        (
            r"\b(?:buy|buying|purchase|purchasing|install|installing|get|getting"
            r"|order|ordering) (?:an? |some |new |the )?(?:solar|home batter"
            r"|batter(?:y|ies)\b|heat pumps?\b|charging points?\b|ev chargers?\b"
            r"|wallbox)",
            STRONG,
        ),
        (
            r"\bcontract (?:\w+ )?(?:ends|is ending|runs out|expires|is up)\b",
            STRONG,
        ),
    ),
}

_NL: dict[str, Patterns] = {
    "question": (
        (r"\?", WEAK),
        (
            _START + r"(?:hoe(?! (?:fijn|leuk|mooi|jammer|erg|vervelend|triest"
            r"|belachelijk)\b)|wat(?! (?:een|fijn|leuk|mooi|goed|slecht|jammer|raar"
            r"|vreemd|stom|knap|snel|heerlijk|top|super|geweldig|ik|ze|jullie"
            r"|vonk)\b)|waarom(?! niet\b)|wanneer|waar|wie|welke?|hoeveel|hoelang)\b",
            STRONG,
        ),
        (
            _START + r"(?:kan|kun|kunt|kunnen|is|zijn|heeft|hebben|heb|hebt|moet"
            r"|moeten|mag|mogen|wordt|worden|gaat|gaan|komt|komen|doen|doet|bieden"
            r"|biedt|leveren|levert|zit|klopt|weet|weten|geldt|krijg|krijgen)\s+"
            + _NL_SUBJECT
            + r"\b",
            STRONG,
        ),
        (
            r"\b(?:weet|heeft|kent) iemand\b|\bhoe zit het\b|\bvraag(?:je)?\s*(?::"
            r"|aan|voor|over)|\bik vraag me af\b|\biemand (?:een |enig )?idee\b"
            r"|\bklopt het\b",
            STRONG,
        ),
    ),
    "complaint": (
        (r"\b(?:stroom)?storing(?:en)?\b|\bstroomuitval\b", WEAK),
        (r"\bterugbetaling\b|\bgeld terug\b|\brestitutie\b", WEAK),
        (r"\bnog steeds\b|\balweer\b|\bopzeg\w*|\bzeg\w* (?:\w+ )?op\b", WEAK),
        (
            r"!{2,}|\bzomaar\b|\bineens\b|\bverdubbeld\b|\bongelooflijk\b"
            r"|\bchaos\b|\bgeen data\b",
            WEAK,
        ),
        (
            r"\bvoor de (?:tweede|derde|vierde|vijfde|zoveelste|\d+e) keer\b"
            r"|\bzonder (?:enige |enig |een )?(?:uitleg|reden|bericht|aankondiging"
            r"|overleg)\b|\bnergens (?:aangekondigd|vermeld|gemeld)\b"
            r"|\bhang\w* (?:\w+ )?op\b",
            STRONG,
        ),
        ("[\U0001f621\U0001f92c\U0001f624\U0001f644\U0001f44e\U0001f620]", WEAK),
        (
            r"\b(?:ligt|lag|liggen|lagen|is|zijn|was|waren)\s+(?:\w+\s+){0,2}?"
            r"(?:plat|eruit|offline)\b|\bplatgelegen\b|\b(?:alweer|weer|opnieuw"
            r"|nu al) (?:een )?storing\b",
            STRONG,
        ),
        (
            r"\bwerk(?:t|en)\s+(?:\w+\s+){0,4}?niet\b|\bdoe[tn]\s+(?:\w+\s+){0,3}?"
            r"(?:niet|niks|niets)\b|\bkapot\b|\b(?:is|zijn|ging|gaat"
            r"|gegaan) stuk\b",
            STRONG,
        ),
        (
            r"\b(?:kan|kon|kun|kunnen|lukt|lukte)\b(?:\s+\w+){0,4}?\s+niet\s+"
            r"(?:meer\s+)?(?:inloggen|betalen|bereiken|doorgeven|openen|vinden"
            r"|aanpassen|downloaden|bellen)\b|\blukt (?:het )?(?:\w+ )?niet\b"
            r"|\bfoutmelding\w*|\bcrash\w*|\bloopt vast\b|\berror\b|\bbug\b",
            STRONG,
        ),
        (
            r"\bnog (?:steeds|altijd) (?:\w+ )?(?:geen|niet|niks|niets|niemand"
            r"|wachten|aan het wachten|in de wacht)\b",
            STRONG,
        ),
        (
            r"\bgeen (?:\w+ )?(?:reactie|antwoord|respons|bericht|terugkoppeling"
            r"|terugbetaling)\b|\breageer?(?:t|en|de)? (?:\w+ )?niet\b|\bniemand"
            r" (?:neemt|reageert|belt|helpt|antwoordt)\b|\b(?:niet|slecht)"
            r" (?:te )?bereik\w*|\bonbereikbaar\b|\bin de wacht\b|\bwachttijd\w*"
            r"|\bwacht(?:en)? al\b|\b(?:weken|maanden|dagen) (?:\w+ )?(?:wachten"
            r"|gewacht)\b",
            STRONG,
        ),
        (
            r"(?<!geen )(?<!enkele )\bklacht(?:en)?\b|\bklaag\w*|\bklagen\b",
            STRONG,
        ),
        (
            r"\boplicht\w*|\bafzet(?:ters|terij)\b|\bzakkenvullers\b|\bboeven\b"
            r"|\bschandalig\w*|\bschande\b|\bbelachelijk\w*|\bwaardelo\w+|\bbagger\b"
            r"|\bdrama\b|\bramp(?:zalig)?\b|\bonacceptabel\b|\bonprofessioneel\b"
            r"|\bamateuris\w+|(?<!niet )(?<!helemaal niet )\bslecht\w*\b(?! verwacht)"
            r"|\bteleurgesteld\b|\bteleurstellend\w*"
            r"|\bboos\b|\bwoedend\b|\bspuugzat\b|\bhet zat\b|\bklaar mee\b"
            r"|\bbaal\w*|\bklote\b|\bkut\w*|\bfrustrer\w+|\bgefrustreerd\b"
            r"|\birritant\b|\bergerlijk\b|\bonzin\b",
            STRONG,
        ),
        (
            r"\bte (?:hoog|duur)\b|\bveel te\b|\babsurd\w*|\bwoeker\w*|\btorenhoog\b",
            STRONG,
        ),
        (
            r"\b(?:dubbel|twee keer|2x|twee maal) (?:\w+ )?(?:afgeschreven"
            r"|gefactureerd|betaald|geincasseerd|in rekening gebracht)\b"
            r"|\bonterecht\w*|\b(?:foute|verkeerde|onjuiste) (?:\w+ )?(?:meterstand"
            r"|factuur|rekening|afrekening|eindafrekening|bedrag|incasso)\w*"
            r"|\bklopt (?:van )?(?:geen kant|niet|niks|niets)\b|\bfout\b",
            STRONG,
        ),
        (
            r"\bniet (?:\w+ )?(?:blij|tevreden|te spreken|oke|ok)\b|\bontevreden\b"
            r"|\bbedankt voor (?:niks|niets|nix)\b",
            STRONG,
        ),
    ),
    "idea": (
        (r"\boptie (?:om|voor)\b|\bmogelijkheid (?:om|tot)\b", WEAK),
        (
            r"\bzou\w*\s+(?:het\s+)?(?:echt\s+|erg\s+|heel\s+|wel\s+|super\s+"
            r"|zo\s+)?(?:fijn|mooi|handig|leuk|prettig|top|fijner|handiger|beter"
            r"|gaaf|tof|chill|ideaal|slim|praktisch)\b|\bzou (?:\w+ ){0,3}?(?:helpen"
            r"|schelen)\b",
            STRONG,
        ),
        (
            r"\bgraag zou ik\b|\bzou (?:het )?graag (?:\w+ )?(?:zien|willen|hebben)\b"
            r"|\b(?:ik )?zie (?:ik )?graag (?:dat|een)\b",
            STRONG,
        ),
        (
            r"\bvoorstel\w*|\bsuggestie\w*|\bidee(?:tje)?\s*(?::|voor\b|om\b)"
            r"|\btip (?:voor|aan) (?:vonk|jullie)\b",
            STRONG,
        ),
        (
            r"\bkunnen jullie (?:niet|ook|misschien|eens|alsjeblieft|aub|svp"
            r"|geen)\b|\bkunnen jullie .{0,40}?(?:toevoegen|invoeren|aanbieden)\b"
            r"|\b(?:kun|kunt) (?:je|jij|u) (?:niet|ook|misschien|eens)\b",
            STRONG,
        ),
        (
            r"\bmis ik\b|\bik mis\b|\bmissen (?:we|wij|ik)\b|\bontbreekt (?:nog )?"
            r"(?:een|de|het)\b",
            STRONG,
        ),
        (
            r"\bwaarom niet\b|\bwaarom (?:bieden|hebben|maken|geven) (?:jullie"
            r"|ze|vonk) (?:\w+ )?(?:geen|niet)\b",
            STRONG,
        ),
        (r"\btoevoegen\b|(?<!hoe )(?<!waar )\bvoeg (?:\w+ ){0,4}?toe\b", STRONG),
        (r"\b(?:mag|mogen|mocht) (?:\w+ )?(?:wel )?(?:eens|eindelijk)\b", STRONG),
        (
            r"\b(?:jullie|vonk|ze) (?:zou|zouden|moet|moeten) (?:\S+ ){0,6}?"
            r"(?:moeten|kunnen|eens)\b|\bwat (?:nou|nu) als\b|\bhoop dat (?:jullie"
            r"|vonk) (?:\w+ ){0,5}?(?:gaan|gaat|komen|komt)\b|\bik wens\b"
            r"|\bwensenlijst\b",
            STRONG,
        ),
    ),
    "praise": (
        (
            r"\bfijn\w*|\bprima\b|\b(?<!niet )blij\b|\b(?:super)?vriendelijk\w*"
            r"|\bnetjes\b|\bwauw\b|\bwow\b|\beerlijk\w*|\bduidelijk\w*"
            r"|\bgoed uit(?:gelegd|leggen|legde)?\b",
            WEAK,
        ),
        (
            r"\bdoe[tn] (?:het )?(?:gewoon |echt |heel |erg )?goed\b|\bgoede"
            r" (?:service|prijzen|klantenservice|app)\b",
            STRONG,
        ),
        (
            "[\U0001f44d\U0001f64f\u2764\U0001f60d\U0001f970\U0001f49a\U0001f44f"
            "\U0001f64c]",
            WEAK,
        ),
        (
            r"\bbedankt\b(?! voor (?:niks|niets|nix))|\bdank (?:je|jullie|u)\b"
            r"|\bdankjewel\b|\bdankuwel\b|\bthanks\b|\bthx\b|\bmerci\b",
            STRONG,
        ),
        (
            r"\btop\b(?! ?\d)|\btopservice\b|\btopper\w*"
            r"|\bsuper (?:\w+ )?(?:snel|goed|fijn"
            r"|service|geholpen|vriendelijk|blij|tevreden|netjes|handig|duidelijk)\b",
            STRONG,
        ),
        (
            r"\bgeweldig\w*|\bfantastisch\w*|\buitsteken\w*|\bvoortreffelijk\w*"
            r"|\bperfect\b|\bheerlijk\b|\bklasse\b|\bchapeau\b|\bpetje af\b"
            r"|\bhulde\b|\bcompliment\w*",
            STRONG,
        ),
        (
            r"\bgoed (?:bezig|gedaan|geregeld|geholpen|werk)\b|\bgoed zo\b"
            r"|\bnetjes (?:\w+ )?(?:opgelost|geregeld|geholpen|gewerkt|afgehandeld)\b"
            r"|\bsuper netjes\b|\bkeurig\w*|\b(?:snel|vlot|direct|meteen|goed"
            r"|prima|fijn|vriendelijk|top|super|netjes) (?:\w+ )?geholpen\b",
            STRONG,
        ),
        (
            r"\baanrader\b|\baan te raden\b|\b(?:kan|zou) (?:\w+ )?(?:iedereen )?"
            r"aanraden\b|\braad (?:\w+ )?(?:iedereen )?aan\b|\b(?<!niet )(?<!on)"
            r"tevreden\b|\bblij (?:mee|met|dat)\b",
            STRONG,
        ),
        (
            r"\bnog (?:nooit|geen enkel) (?:een )?(?:probleem|problemen|klacht"
            r"|gedoe)\b|\bgeen (?:enkele )?(?:klachten|problemen|gedoe|gezeur)\b"
            r"|\bzonder (?:problemen|gedoe)\b|\bprobleemloos\b|\bsoepel\w*"
            r"|\bzorgeloos\b|\bdoe[tn]? wat (?:ze|jullie|hij|zij) belo\w+",
            STRONG,
        ),
        (
            r"\bbeste (?:energieleverancier|leverancier|klantenservice|service"
            r"|app)\b|\b(?:10|tien) punten\b",
            STRONG,
        ),
    ),
    "lead": (
        (
            r"\boverstap\w*|\bover te stappen\b|\bstap\w*\s+(?:\w+\s+){0,3}?over\b",
            STRONG,
        ),
        (
            r"\b(?:nieuwe|andere|goedkopere|groene|betere|goedkope|goede|welke)"
            r" (?:energie)?(?:leverancier|aanbieder|maatschappij)s?\b|\bwie is de"
            r" beste\b",
            STRONG,
        ),
        (
            r"\bwie kan ik (?:het )?beste (?:nemen|kiezen)\b|\b(?:wie|wat|welke)"
            r" raden jullie aan\b|\badvies (?:over|voor) (?:een )?(?:energie"
            r"|leverancier|zonnepanelen|thuisbatterij|warmtepomp)",
            STRONG,
        ),
        (
            r"\b(?:prijs|prijzen|kosten) (?:van|voor) (?:\w+ )?(?:zonnepanelen"
            r"|thuisbatterij|batterij|warmtepomp|laadpaal|installatie)"
            r"|\bwat kost(?:en|te)?\b.{0,60}?(?:zonnepanelen|thuisbatterij|batterij"
            r"|warmtepomp|laadpaal|installatie|contract|stroom|per maand"
            r"|aansluiting)|\bhoeveel kost",
            STRONG,
        ),
        (r"\bofferte\w*", STRONG),
        (
            r"\b(?:zonnepanelen|thuisbatterij|batterij|warmtepomp|laadpaal|panelen)"
            r"\s+(?:\w+\s+){0,2}?(?:kopen|aanschaffen|nemen|laten leggen|laten"
            r" plaatsen|laten installeren|plaatsen|installeren|bestellen)\b"
            r"|\b(?:kopen|aanschaffen|aanschaf) van (?:een |de )?(?:zonnepanelen"
            r"|thuisbatterij|batterij|warmtepomp|laadpaal)",
            STRONG,
        ),
        (
            r"\boverwe(?:e?g)\w*|\boverwogen\b"
            r"|\bdenk\w* (?:erover|eraan|over) (?:om )?(?:\w+ ){0,4}?"
            r"(?:te )?(?:nemen|kopen|aanschaffen)\b|\bzit(?:ten)? erover te denken\b",
            STRONG,
        ),
        (
            r"\bop zoek naar (?:een )?(?:nieuwe |goedkope |andere |groene |goede )?"
            r"(?:energie\w*|leverancier|stroom\w*|zonnepanelen|thuisbatterij"
            r"|warmtepomp|laadpaal|contract)",
            STRONG,
        ),
        (
            r"\bklant (?:te )?worden\b|\baanmelden (?:bij|voor)\b|\b(?:contract"
            r"|abonnement) afsluiten\b|\bcontract (?:\w+ ){0,4}?(?:loopt|liep)"
            r" (?:\w+ ){0,3}?af\b|\bafloopt\b|\binteresse in\b|\bgeinteresseerd in\b",
            STRONG,
        ),
    ),
}

# Patterns added after the errors on the labelled dev split
# (tests/data/listening/labelled/dev.jsonl; the test split is never used to
# tune them). Appended to the tables above, same weights and conventions.
_EN_MORE: dict[str, Patterns] = {
    "complaint": (
        (
            r"\bmakes? (?:zero|no) sense\b|\bseriously\s*\?|\b(?:can"
            + _APOS
            + r"?t|cannot) believe\b|\bit"
            + _APOS
            + r"?s 20\d\d\b"
            r"|\bfix (?:your|the|this|it)\b|\bno(?: call)?,? no show\b"
            r"|\b(?:broke|breaks) (?:the|my|our)\b"
            r"|\bwhy does it take\b|\bprove it\b",
            STRONG,
        ),
        (
            r"\bwhy (?:is|are|does|do|did|has|have|the hell|on earth)\b[^?]*\?{2,}",
            STRONG,
        ),
    ),
    "idea": (
        (
            r"\bwhat if\b|" + _START + r"(?:please |pls |plz )?add (?:an? |some |the"
            r" )?\w+",
            STRONG,
        ),
    ),
    "praise": (
        (
            r"\beasiest\b|\b(?:so much|way|much|far) better than\b"
            r"|\bbest (?:\w+ )?(?:ever|of the year)\b|\bnot bad\b",
            STRONG,
        ),
    ),
    "lead": (
        (
            r"\bconsidering (?:vonk|stroomco|solar|a |an |getting|buying|switching)"
            r"|\bsign(?:ing)? up\b|\bwhat (?:are|is) (?:vonk" + _APOS + r"?s |your"
            r" |their |the )?(?:current )?(?:rates?|tariffs?|prices?)\b"
            r"|\brecommend (?:an? |a good )?(?:installer|supplier|provider)\b"
            r"|\bneed (?:an? |new )?(?:charging point|charger|heat pump|home battery"
            r"|solar panels|new (?:energy )?supplier)\b|\b(?:pick|choose) (?:one"
            r" |an? |our |my )?(?:energy )?supplier\b|\bleaning towards\b"
            r"|\bworth switching\b",
            STRONG,
        ),
    ),
}
_NL_MORE: dict[str, Patterns] = {
    "complaint": (
        (
            r"\bslaat (?:helemaal )?nergens op\b|\bniet normaal\b|\bhoe dan\b(?! ook)"
            r"|\bdoe er (?:eens |nou |nu )?(?:wat|iets) aan\b|\bregel het\b"
            r"|\bhet is (?:nu )?20\d\d\b|\b(?:niks|niets) (?:meer )?gehoord\b"
            r"|\blogt (?:me|ons|mij) (?:\w+ ){0,3}?uit\b"
            r"|\blaat dat (?:dan )?(?:eens|maar) zien\b|\bwaarom duurt het\b",
            STRONG,
        ),
        (r"\bwaarom (?:gaat|moet|krijg|betaal|is|zijn|doet|heb)\b[^?]*\?{2,}", STRONG),
    ),
    "idea": (
        (
            r"\bwaarom geen\b|" + _START + r"graag (?:een|de|het)\b"
            # "Graag een offerte" asks for a quote: a lead, not a suggestion.
            r"(?! (?:offerte|prijsopgave|adviesgesprek|afspraak)\b)"
            r"|\bmaak (?:\w+ ){0,5}?eens\b|\b(?:doe|zet) (?:\w+ ){0,4}?erbij\b",
            STRONG,
        ),
    ),
    "praise": (
        (
            r"\bnetjes (?:vonk|hoor|gedaan)\b|\bniet slecht\b|\bslechter verwacht\b"
            r"|\bzonder (?:\w+ )?gezeur\b|\brespect voor\b|\bbeste \w+ (?:ooit|van het"
            r" jaar)\b|\bwaardeer\w*|\bmakkelijkste\b"
            r"|\b(?:veel |stukken |zoveel )?beter dan\b"
            r"|\bdoe[tn] (?:het )?(?:gewoon |echt )?prima\b",
            STRONG,
        ),
    ),
    "lead": (
        (
            r"\b(?:installateur|leverancier) (?:\w+ ){0,4}?aanraden\b|\b(?:laadpaal"
            r"|warmtepomp|thuisbatterij|zonnepanelen) nodig\b|\bleverancier kiezen\b"
            r"|\bneig (?:\w+ )?naar\b|\b(?:me|ons) (?:\w+ ){0,3}?aanmelden\b"
            r"|\bwat (?:zijn|is) (?:de |jullie )?(?:huidige )?(?:tarieven|prijzen"
            r"|prijs)\b",
            STRONG,
        ),
    ),
}
_EN_MORE["complaint"] += (
    (
        r"\b(?:no ?one|nobody) (?:at \w+ )?(?:is |seems to )?(?:fixing|picking up"
        r"|knows|cares|helping|responding|answering|calls?)\b|\banswer (?:your|the)"
        r" (?:phone|emails?|messages?)\b|\bpick up (?:the|your) phone\b"
        r"|\b(?:so |completely )?done with (?:this|vonk|you|them)\b|\bi"
        + _APOS
        + r"?m out\b|\b(?:goes|went|going) wrong\b|\bmess(?:ing|ed|es) up\b"
        r"|\bhow hard can it be\b|\b(?:didn" + _APOS + r"?t|did not|never) sign(?:ed)?"
        r" up for\b|\bmid-?contract\b|\bunusable\b|\b(?:tripled|doubled) (?:overnight"
        r"|again|in)\b|\blos(?:es|t) (?:my|our) (?:\w+ )?(?:readings?|data|payment"
        r"|file)\b",
        STRONG,
    ),
    # Praise followed by an eye roll or an upside-down face is sarcasm.
    (
        r"\b(?:amazing|great|brilliant|fantastic|lovely|well done|good job|nice one"
        r"|thanks|thank you|love)\b[^.!?\n]{0,40}?[\U0001f643\U0001f644]",
        STRONG,
    ),
    ("[\U0001f926]", WEAK),
)
_EN_MORE["idea"] += (
    (
        r"\bcould (?:really |seriously |definitely )?use (?:an? |some |more )\b"
        r"|\bimagine if\b|\bhope (?:vonk|you|they) (?:\w+ ){0,2}?(?:adds?|will"
        r"|brings?|makes?|introduces?|offers?|starts?)\b|\bsuggest(?:ing)? (?:adding"
        r"|that|an? |you)\b|\b(?:you|you guys|vonk) (?:really |seriously )?should\b"
        r"(?! (?:be|have been|know)\b)|" + _START + r"(?:vonk,?\s+)?(?:please |pls )?"
        r"(?:(?:make|bring|allow) (?:the|it|an?|us|our)\b|give us\b|let us\b(?! know))",
        STRONG,
    ),
)
_EN_MORE["praise"] += (
    (
        r"\brespect\b|\b(?:fastest|quickest|best|easiest|smoothest|nicest) \w+"
        r" (?:\w+ ){0,4}?ever\b|\bhappy to (?:report|say)\b|\bpleasant(?:ly)?"
        r" surprise\w*|\bwin-?win\b|\b(?:fixed|sorted|solved) in (?:one|a single|1)"
        r" call\b|\bcleaned up (?:everything|after)\b",
        STRONG,
    ),
)
_EN_MORE["lead"] += (
    (
        r"\bprices? (?:of|for) (?:an? |the )?(?:vonk )?(?:solar|panels|home batter"
        r"|batter|heat pump|installation|charger|charging)|\b(?:contract|deal|plan"
        r"|fixed term) (?:\w+ )?(?:ends|is ending|runs out|expires|is up)\b"
        r"|\bswitching (?:this|next) (?:week|month|year)\b|\babout to sign\b"
        r"|\breferral (?:link|code)\b|\bshopping (?:around )?for\b|\bwhat (?:does|would"
        r"|will|do) (?:vonk|you|they) charge for\b|\b(?:is|are) (?:vonk|they) (?:a )?"
        r"(?:good|the right|a smart|smart) (?:choice|option|pick)\b",
        STRONG,
    ),
)
_NL_MORE["question"] = (
    (
        _START + r"(?:rekenen|rekent|sturen|stuurt|ligt|liggen|werkt|werken|gebruikt"
        r"|gebruiken|hoef|hoeft|hoeven|betaal|betaalt|betalen|zie|ziet|zien|vind"
        r"|vindt|vinden|ben|bent|word|staat|staan|ga|kom|doe|hou|houden|regelt"
        r"|regelen|verandert|veranderen|stopt|stoppen)\s+" + _NL_SUBJECT + r"\b"
        r"|\bben (?:wel |erg )?benieuwd (?:of|hoe|wat|wanneer|waarom)\b",
        STRONG,
    ),
)
_NL_MORE["complaint"] += (
    (
        r"\btriest\b|\bklantonvriendelijk\w*|\bverkna\w+|\bverprutst\b|\bverpest\b"
        r"|\bik ben weg\b|\bgaat (?:er )?(?:weer |steeds |altijd )?(?:\w+ )?mis\b"
        r"|\b(?:meterstanden|standen|gegevens|betaling) (?:\w+ )?kwijt\b|\bweer stuk\b"
        r"|\bverdubbeld\b|\bverdrievoudigd\b|\bniemand (?:\w+ ){0,3}?(?:weet|neemt"
        r"|reageert|belt|helpt|antwoordt)\b|\bneem (?:alsjeblieft |aub |nou )?(?:je"
        r"|de|jullie) telefoon op\b|\bhoe moeilijk kan het zijn\b|\b(?:niet|nooit)"
        r" (?:voor|mee) (?:\w+ )?getekend\b|\bniet getekend voor\b|\blekker bezig\b"
        r"|\b(?:geweldig|top|super|fantastisch|bedankt|dank je|goed gedaan)\b"
        r"[^.!?\n]{0,40}?[\U0001f643\U0001f644]",
        STRONG,
    ),
    ("[\U0001f926]", WEAK),
)
_NL_MORE["idea"] += (
    (
        r"\bzou\w* (?:\w+ ){0,2}?(?:vet|geweldig|super|cool|nice|ideaal|tof|gaaf)\b"
        r"|" + _START + r"(?:vonk,?\s+)?(?:laat ons|geef ons|maak|zet|breng)\b"
        r"|\bkan (?:echt |wel |best |prima )?(?:een|wat) (?:\w+ ){0,3}?gebruiken\b"
        r"|\bstel (?:je )?voor\b|\bheeft (?:\w+ ){0,4}?nodig\b|\bhoop (?:echt |wel )?"
        r"dat (?:jullie|vonk|ze) (?:\w+ ){0,5}?(?:toevoeg\w*|invoer\w*|aanbied\w*"
        r"|maken|maakt)\b|" + _START + r"wat als\b|\blijkt me (?:\w+ )?(?:slim|handig"
        r"|goed|fijn|een goed idee)\b|\bzouden jullie\b",
        STRONG,
    ),
)
_NL_MORE["praise"] += (
    (
        r"\brespect\b|\b(?<!niet )(?:best|heel|echt|erg|gewoon) goed\b"
        r"|\b(?:snelste|beste|makkelijkste|vlotste|fijnste) \w+ (?:\w+ ){0,5}?ooit\b"
        r"|\bbehulpzaam\b|\bwin-?win\b|\bmeevaller\b"
        r"|\bwerkt (?:gewoon|prima|perfect)\b",
        STRONG,
    ),
)
_NL_MORE["lead"] += (
    (
        r"\b(?:contract|deal) (?:\w+ ){0,4}?verloopt\b|\bzoek(?:en)? (?:een |nog )?"
        r"(?:nieuwe |goede |goedkope |groene |andere )?(?:energie)?leverancier\b"
        r"|\b(?:goede|slimme) keu[sz]e?\b|\b(?:wil|willen|ga|gaan) (?:\w+ ){0,3}?"
        r"wisselen\b|\braden jullie (?:\w+ ){0,2}?aan\b|\bzakelijk\w* (?:contract"
        r"|tarie|aanbod|klant)\w*|\brond(?:kijken|gekeken|kijk) (?:voor|naar)\b"
        r"|\bvriendencode\b|\baanbrengcode\b",
        STRONG,
    ),
)
_EN_MORE["question"] = (
    (
        _START + r"(?:so|and|but|ok|okay|also|hi|hey)\s*,?\s+(?:how|what|why|when"
        r"|where|who|which)\b|\bneed (?:some )?help (?:with|understanding"
        r"|figuring)\b",
        STRONG,
    ),
)
_NL_MORE["question"] += (
    (
        _START + r"(?:dus|en|maar|oke|ok|hoi|hee)\s*,?\s+(?:hoe|wat|waarom|wanneer"
        r"|waar|wie|welke?)\b|\biemand die (?:me|mij|ons) (?:kan|wil) helpen\b",
        STRONG,
    ),
)
_EN_MORE["complaint"] += (
    (
        r"\bseriously(?: \w+)?\s*\?|\bhow about you stop\b|\bstop (?:raising"
        r"|charging|sending|increasing)\b",
        STRONG,
    ),
    # A last sentence of one praise word is usually sarcasm: "... bounces. Great."
    (
        r"[.!,]\s+(?:great|lovely|brilliant|perfect|wonderful|fantastic|awesome)"
        r"\s*[.!]*\s*$",
        WEAK,
    ),
)
_NL_MORE["complaint"] += (
    (
        r"\bserieus(?: \w+)?\s*\?|\bstop (?:eens |nou |nu )?met\b|\btuurlijk joh\b",
        STRONG,
    ),
    (
        r"[.!,]\s+(?:geweldig|top|prima|fijn|lekker|super|fantastisch|heerlijk)"
        r"\s*(?:hoor)?\s*[.!]*\s*$",
        WEAK,
    ),
)
_EN_MORE["idea"] += (
    (
        r"\bwish ?list\b|\b(?:small |feature |one |quick )?request\s*:"
        r"|\b(?:thought|tip|proposal)\s*:|\bi(?:" + _APOS + r"d| would) like"
        r" (?:to see|an? |the option)|(?:would|" + _APOS + r"d) make (?:more )?sense\b"
        r"|\b(?:can|could|would|will) (?:you guys|you all|y" + _APOS + r"all)"
        r" (?:please |also )?(?:add|make|offer|bring|consider)\b"
        r"|" + _START + r"let (?:customers|people|users)\b",
        STRONG,
    ),
)
_NL_MORE["idea"] += (
    (
        r"\b(?:gedachte|verzoek\w*|wens|tip)\s*:|\bzou graag (?:\S+ ){0,10}?zien\b"
        r"|\bzou (?:\w+ )?logisch\w* zijn\b|" + _START + r"laat (?:klanten|mensen"
        r"|de|het)\b|\bdenk (?:eens )?na over\b",
        STRONG,
    ),
)
_EN_MORE["praise"] += (
    (
        r"\bthumbs up\b|\bdeserves? (?:a |an )?(?:raise|medal|bonus|award"
        r"|praise)\b|\bdid (?:exactly )?what (?:they|you) (?:promised|said)\b",
        STRONG,
    ),
)
_NL_MORE["praise"] += (
    (
        r"\bdikke duim\b|\bduim(?:pje)? omhoog\b|\bverdient (?:een )?(?:opslag"
        r"|pluim|compliment|bonus|medaille)\b|\bdeed (?:precies )?wat (?:ze|jullie"
        r"|hij|zij) belo\w+|\bschat(?:ten)? van (?:een |mensen)\b|\bcontent\b",
        STRONG,
    ),
)
_EN_MORE["lead"] += (
    (
        r"\bbecoming a (?:\w+ )?customer\b|\b(?:go|going) with (?:vonk|stroomco"
        r"|windkracht)\b|\bcompar(?:ing|e) (?:\w+ )?(?:contracts?|suppliers?"
        r"|providers?|tariffs?|deals?|quotes?)\b|\blooking to (?:switch|change"
        r"|buy|get)\b|\bneed an? new (?:heat pump|home battery|boiler|charger"
        r"|supplier)\b",
        STRONG,
    ),
)
_NL_MORE["lead"] += (
    (
        r"\bvia vonk (?:doen|nemen|laten|regelen)\b|\b(?:contracten|leveranciers"
        r"|tarieven|offertes) (?:aan het )?vergelijk\w*|\bvergelijk\w* (?:\w+ )?"
        r"(?:contracten|leveranciers|tarieven|offertes)\b",
        STRONG,
    ),
)
for _table, _more in ((_EN, _EN_MORE), (_NL, _NL_MORE)):
    for _intent, _patterns in _more.items():
        _table[_intent] = _table[_intent] + _patterns

# A lead pattern right after one of these words is a non-lead ("I'm not
# switching", "ik ga niet overstappen"). Fixed-width lookbehinds, one each.
_LEAD_NEGATIONS = ("not ", "never ", "niet ", "nooit ", "n't ", "n\u2019t ")


@dataclass(frozen=True)
class Intent:
    label: str  # one of INTENTS
    confidence: float  # 0..1, how clearly the rules fired
    is_lead: bool  # a purchase or switch signal, whatever the label


@dataclass(frozen=True)
class _IntentMatcher:
    """One intent's patterns as a single alternation with a group per pattern."""

    pattern: re.Pattern[str]
    weights: dict[str, float]

    def score(self, folded: str) -> float:
        fired = {m.lastgroup for m in self.pattern.finditer(folded)}
        return sum(self.weights[name] for name in fired if name)


def _matcher(intent: str, patterns: Patterns) -> _IntentMatcher:
    prefix = ""
    if intent == "lead":
        prefix = "".join(f"(?<!{re.escape(word)})" for word in _LEAD_NEGATIONS)
    sources, weights = [], {}
    for index, (source, weight) in enumerate(patterns):
        name = f"p{index}"
        sources.append(f"(?P<{name}>{prefix}(?:{source}))")
        weights[name] = weight
    return _IntentMatcher(re.compile("|".join(sources)), weights)


@lru_cache(maxsize=4)
def _matchers(language: str) -> dict[str, _IntentMatcher]:
    """The compiled matchers for "en", "nl" or "" (both pattern sets)."""
    if language in ("en", "nl"):
        table = _EN if language == "en" else _NL
        return {intent: _matcher(intent, table[intent]) for intent in table}
    return {intent: _matcher(intent, _EN[intent] + _NL[intent]) for intent in _EN}


def _primary_subtag(language: str) -> str:
    code = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in ("en", "nl") else ""


def _confidence(scores: dict[str, float], label: str) -> float:
    score = scores[label]
    others = sum(v for k, v in scores.items() if k not in (label, "lead"))
    strength = 1 - math.exp(-1.2 * score)
    purity = score / (score + others) if score + others else 0.0
    return round(min(max(strength * (0.5 + 0.5 * purity), 0.0), 1.0), 3)


def intent_detect(text: str, *, language: str) -> Intent:
    """The intent of ``text`` in ``language`` ("en", "nl"; anything else tries
    both pattern sets). See the module docstring for the precedence."""
    folded = text_fold(text or "").strip()
    if not folded:
        return Intent("other", 1.0, False)
    matchers = _matchers(_primary_subtag(language))
    scores = {intent: m.score(folded) for intent, m in matchers.items()}
    is_lead = scores["lead"] > 0
    complaint, praise = scores["complaint"], scores["praise"]

    if complaint >= STRONG:
        label = "complaint"
    elif scores["idea"] >= STRONG:
        # A suggestion is not a purchase signal ("a calculator for switching
        # to the dynamic contract would help").
        label, is_lead = "idea", False
    elif is_lead and (praise < STRONG or scores["question"]):
        label = "lead"
    elif scores["question"] >= STRONG:
        label = "question"
    elif is_lead and praise >= STRONG:
        # Praise of a past purchase or switch ("easiest switch ever", "the
        # quote and install were quick"): not a lead.
        label, is_lead = "praise", False
    elif complaint and complaint >= praise:
        label = "complaint"
    elif praise:
        label = "praise"
    elif scores["idea"]:
        label = "idea"
    elif scores["question"]:
        label = "question"
    else:
        return Intent("other", 0.5, False)
    return Intent(label, _confidence(scores, label), is_lead)
