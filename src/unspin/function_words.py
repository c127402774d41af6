"""English function words: the closed-class words synonym spinners leave alone.

Written for this project. Articles, pronouns, prepositions, conjunctions, auxiliaries,
modals, negation, quantifiers and a few discourse adverbs. Thesaurus spinners replace open
-class words (nouns, verbs, adjectives); these survive, and their order is what makes a
spun copy's skeleton line up with its source.
"""

FUNCTION_WORDS: frozenset[str] = frozenset(
    """
    a an the this that these those some any each every either neither no all both half
    several many much more most few fewer less least other another such what which whose who
    whom whatever whichever whoever i me my mine myself we us our ours ourselves you your
    yours yourself yourselves he him his himself she her hers herself it its itself they
    them their theirs themselves one ones oneself about above across after against along
    amid among around as at before behind below beneath beside besides between beyond by
    despite down during except for from in inside into like near of off on onto out outside
    over past per since than through throughout till to toward towards under underneath
    unlike until up upon via with within without and but or nor so yet if unless because
    although though while whereas whether when whenever where wherever why how once then
    there here thus hence therefore however be am is are was were been being have has had
    having do does did doing done will would shall should can could may might must ought
    need dare not n't never also too very just only even still already again ever quite
    rather s 's 're 've 'll 'd 'm
    """.split()
)
