# Sourced by scripts/bench-study-reference.sh and scripts/bench-study-throughput.sh: one way to
# run the STUDY reference (REF_DIR, REF_PY: see bench-study-reference.sh's header) with the model
# shape the comparisons use (2 layers, 4 heads, 128 dims, MLP 512, f32, no checkpoints) and its
# step timing on. Prints its log on stdout.
#   study_ref_train DATA_DIR OUTPUT_DIR STEPS SEED   (absolute paths)
: "${REF_DIR:?set REF_DIR to the folder holding study_recommend/}"
: "${REF_PY:?set REF_PY to a Python that can import it}"
study_ref_train() {
  local data=$1 output=$2 steps=$3 seed=$4 here
  here=$(pwd)
  (cd "$REF_DIR" && PYTHONPATH="$REF_DIR" STUDY_STEP_TIMING=1 \
    STUDY_CFG_OVERRIDES='{"num_layers":2,"num_heads":4,"emb_dim":128,"qkv_dim":128,"mlp_dim":512,"use_bfloat16":false,"save_checkpoints":false,"reference_train_batch_size":1024,"reference_valid_batch_size":1024}' \
    "$REF_PY" "$here/scripts/study_ref_run.py" --model study \
      --train_data_path "$data/train_activity.csv" \
      --valid_data_path "$data/valid_activity.csv" \
      --student_info_path "$data/student_info.csv" \
      --output_path "$output" --classroom_grouping school_year --vocab_size 2000 \
      --seq_len 65 --student_chunk_size 65 --per_device_batch_size 32 --learning_rate 0.0016 \
      --n_steps "$steps" --eval_every 100000 --save_every 100000 \
      --n_recommendations 1,3,5,10,20 --seed "$seed") 2>&1
}
