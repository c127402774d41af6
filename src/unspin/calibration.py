"""Numbers fitted on data, with the command that fitted them.

Detection thresholds and the document-score model come from bench/detect_bench.py on
../shared/data/news (spun copies against their originals, a calibration split apart
from the evaluation split). Fitted with `python bench/detect_bench.py --data ../shared/data
--n 40 --threads 1` (20 calibration articles x 4 versions, MyThes spinner, Debian's
mythes-en-us installed); re-fit with `--analyse`, which prints the values as
"calibration_block".
"""

# At most this share of a document's content words are re-scored with candidates (those
# whose candidates the first pass prefers most).
MAX_SUSPECT_SHARE = 0.5
# Share of the unigram log-frequency difference removed from a candidate's gain (1 would
# be pointwise mutual information; 0 the raw language-model preference).
FREQ_DISCOUNT = 0.25
# The same discount for ranking a flagged word's suggestions (fitted for restoration).
RANK_DISCOUNT = 0.0
# First stage: logistic model of P(substituted) for one suspect over
# detect.word_features().
WORD_BIAS = -5.3507
WORD_WEIGHTS: dict[str, float] = {
    "surprisal": 0.1262,
    "best_adjusted_gain": 0.0664,
    "best_gain": 0.0562,
    "zipf_written": 0.2683,
    "zipf_best": 0.275,
    "phrase": 0.821,
    "pre_gain": 0.1943,
    "prior_best": -0.7478,
    "second_gain": 0.0354,
}
# Second stage: the same features plus "doc_logit", the log-odds of the document's mean
# first-stage probability; and the probability from which a suspect is flagged.
STACK_BIAS = -3.2332
STACK_WEIGHTS: dict[str, float] = {
    "surprisal": 0.1042,
    "best_adjusted_gain": 0.0619,
    "best_gain": 0.0518,
    "zipf_written": 0.2635,
    "zipf_best": 0.2181,
    "phrase": 0.858,
    "pre_gain": 0.1579,
    "prior_best": -0.7174,
    "second_gain": 0.0267,
    "doc_logit": 2.0073,
}
MIN_WORD_PROB = 0.63
# Logistic model of P(spun) over detect.features().
SCORE_BIAS = -7.4591
SCORE_WEIGHTS: dict[str, float] = {
    "doc_prior": 4.5692,
    "top_mean": 9.5852,
    "prob_sum_rate": 9.1766,
    "strong_rate": 11.7687,
}
# Documents whose spin score reaches this are called spun.
SPUN_THRESHOLD = 0.5
