// defines: every strategy class of registry.def (one file each under optimizations/).
#pragma once
#include "optimizations/cuda_graph.h"
#include "optimizations/gather_prefetch.h"
#include "optimizations/kv_index_copy.h"
#include "optimizations/prewarm.h"
#include "optimizations/sampler_host_tables.h"
#include "optimizations/shard.h"
#include "optimizations/sync_elim.h"
#include "optimizations/text_cache.h"
#include "optimizations/text_embed_once.h"
#include "optimizations/timestep_embed_once.h"
#include "optimizations/vae_encode_fixed_point.h"
#include "optimizations/vae_stream.h"
