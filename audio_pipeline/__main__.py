from audio_pipeline.cli import main

main()
