/*
 * core/rng.c - deterministic pseudo-random numbers for samplers and tests.
 *
 * xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021), seeded through splitmix64 (Steele, Lea and
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014) as
 * its authors recommend. Declared in samplers/sampler.h.
 *
 * Must never read a clock, the environment or any global state: the same
 * seed gives the same numbers on every machine.
 */
#include "samplers/sampler.h"

/* Golden-ratio increment of splitmix64. */
#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL
/* Odd, so multiplying the stream by it is a bijection mod 2^64. */
#define STREAM_SALT 0xd1b54a32d192ed03ULL

static uint64_t splitmix64_next(uint64_t *x)
{
	uint64_t z = (*x += SPLITMIX_GAMMA);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void bo__rng_seed(bo_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;
	/* Four consecutive splitmix64 outputs are never all zero, the one
	 * state xoshiro must avoid. */
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64_next(&x);
}

void bo__rng_seed2(bo_rng *r, uint64_t seed, uint64_t stream)
{
	/* mix(seed) is a bijection of seed and xor with the stream a bijection
	 * of the stream, so for one seed every stream gets its own state; the
	 * second mixing spreads neighbouring streams over the whole space. */
	uint64_t x = seed;
	uint64_t k = splitmix64_next(&x);
	x = k ^ (stream * STREAM_SALT);
	bo__rng_seed(r, splitmix64_next(&x));
}

uint64_t bo__rng_next(bo_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double bo__rng_uniform(bo_rng *r)
{
	/* The top 53 bits, scaled by 2^-53: every value k/2^53, k < 2^53. */
	return (double)(bo__rng_next(r) >> 11) * 0x1.0p-53;
}
