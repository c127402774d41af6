"""Numbers fitted on data, with the command that fitted them.

Detection thresholds and the document-score model come from bench/detect_bench.py on
../shared/data/news (spun copies against their originals, a calibration split apart
from the evaluation split). Fitted with `python bench/detect_bench.py --data ../shared/data
--n 40 --threads 1` (20 calibration articles x 4 versions); re-fit with `--analyse`, which
prints the values as "calibration_block".
"""

# At most this share of a document's content words are re-scored with candidates (those
# whose candidates the first pass prefers most).
MAX_SUSPECT_SHARE = 0.5
# Share of the unigram log-frequency difference removed from a candidate's gain (1 would
# be pointwise mutual information; 0 the raw language-model preference).
FREQ_DISCOUNT = 1.0
# The same discount for ranking a flagged word's suggestions (fitted for restoration).
RANK_DISCOUNT = 1.0
# First stage: logistic model of P(substituted) for one suspect over
# detect.word_features().
WORD_BIAS = -4.0527
WORD_WEIGHTS: dict[str, float] = {
    "surprisal": 0.2245,
    "best_adjusted_gain": 0.0542,
    "best_gain": 0.0306,
    "zipf_written": 0.0431,
    "zipf_best": 0.0567,
    "phrase": -0.9685,
    "pre_gain": 0.0,
    "prior_best": 0.0,
    "second_gain": 0.0,
}
# Second stage: the same features plus "doc_logit", the log-odds of the document's mean
# first-stage probability; and the probability from which a suspect is flagged.
STACK_BIAS = 0.0
STACK_WEIGHTS: dict[str, float] = {**WORD_WEIGHTS, "doc_logit": 0.0}
MIN_WORD_PROB = 0.825
# Logistic model of P(spun) over detect.features().
SCORE_BIAS = 10.1357
SCORE_WEIGHTS: dict[str, float] = {
    "flag_rate": -7.5063,
    "gain_sum_rate": 0.5614,
    "suspect_rate": -76.4275,
    "rare_rate": 6.1276,
    "mean_top_adjusted": 0.1729,
    "mean_suspect_surprisal": 1.174,
    "doc_prior": 0.0,
}
# Documents whose spin score reaches this are called spun.
SPUN_THRESHOLD = 0.5
