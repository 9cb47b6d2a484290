/* promote — strategy tiers and stage rules (see promote.h). */
#include "core/promote.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

static const char *const s_tiers[] = {"limited", "standard", "high-confidence"};

const char *promote_tier(const char *strategy, double cv_mean, double cv_std,
                         double test_score, double max_fold_std)
{
    if (!strategy || strcmp(strategy, "quick") == 0)
        return s_tiers[0];
    if (strcmp(strategy, "balanced") == 0)
        return s_tiers[1];
    if (strcmp(strategy, "rigorous") != 0)
        return s_tiers[0];
    /* NaN anywhere fails these comparisons, which is the safe answer. */
    bool stable = cv_std < max_fold_std;
    bool consistent = fabs(test_score - cv_mean) <= 2 * cv_std;
    return stable && consistent ? s_tiers[2] : s_tiers[1];
}

int promote_tier_rank(const char *tier)
{
    for (size_t i = 0; tier && i < ARRAY_SIZE(s_tiers); i++)
        if (strcmp(tier, s_tiers[i]) == 0)
            return (int)i + 1;
    return 0;
}

int promote_check(const char *tier, const char *stage, char *why)
{
    int need;
    if (stage && strcmp(stage, "staging") == 0)
        need = 1;
    else if (stage && strcmp(stage, "production") == 0)
        need = 2;
    else
        return set_err(why, "unknown stage '%s' (staging | production)", stage ? stage : "");
    int have = promote_tier_rank(tier);
    if (have == 0)
        return set_err(why, "unknown tier '%s'", tier ? tier : "");
    if (have < need)
        return set_err(why, "%s needs a %s tier or better, the study has %s "
                       "(run a %s strategy)", stage, s_tiers[need - 1], tier,
                       need == 2 ? "balanced or rigorous" : "quick or better");
    return 0;
}

void promote_test(bool verbose)
{
    if (verbose)
        printf(" * promote:\n");
    double m = PROMOTE_MAX_FOLD_STD;
    assert(!strcmp(promote_tier("quick", .9, .01, .9, m), "limited"));
    assert(!strcmp(promote_tier("balanced", NAN, NAN, .9, m), "standard"));
    assert(!strcmp(promote_tier("rigorous", .90, .01, .91, m), "high-confidence"));
    assert(!strcmp(promote_tier("rigorous", .90, .01, .919, m), "high-confidence"));
    assert(!strcmp(promote_tier("rigorous", .90, .01, .93, m), "standard")); /* off by 3 std */
    assert(!strcmp(promote_tier("rigorous", .90, .03, .90, m), "standard")); /* folds disagree */
    assert(!strcmp(promote_tier("rigorous", .90, .01, NAN, m), "standard")); /* no refit yet */
    assert(!strcmp(promote_tier("other", .9, 0, .9, m), "limited"));
    char why[HPS_ERR_LEN];
    assert(promote_check("limited", "staging", why) == 0);
    assert(promote_check("limited", "production", why) == -1 && strstr(why, "standard"));
    assert(promote_check("standard", "production", why) == 0);
    assert(promote_check("high-confidence", "production", why) == 0);
    assert(promote_check("high-confidence", "staging", why) == 0);
    assert(promote_check("standard", "prod", why) == -1 && strstr(why, "unknown stage"));
    assert(promote_check("gold", "staging", why) == -1 && strstr(why, "unknown tier"));
    assert(promote_tier_rank("standard") == 2 && promote_tier_rank(NULL) == 0);
}
