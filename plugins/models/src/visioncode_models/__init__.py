"""visioncode-models: the model providers of visioncode.

- `openai` (`openai_chat.OpenAIChatModel`): the OpenAI Chat Completions protocol, for
  OpenAI and every compatible server (vLLM, Ollama, LM Studio, llama.cpp, OpenRouter,
  Gemini's compatible endpoint), chosen by `base_url`.
- `anthropic` (`anthropic_messages.AnthropicMessagesModel`): the Anthropic Messages API.
- `command` (`command_model.CommandModel`): a local executable, request as JSON on stdin.
- `vtracer` (`vtracer_model.VtracerModel`): the classical image->SVG tracer StarVector
  reports as a baseline, so a pipeline can be run and scored end to end offline.
- `replay` (`replay.ReplayModel`): answers from a JSONL file of recorded responses, for
  tests and for re-scoring saved outputs with new executors, renderers or metrics.

The HTTP providers only speak their protocol and classify failures (`http_model`);
retries, concurrency limits and the response cache are the core's. Nothing is imported
here on purpose: the core loads each component by its entry point, so using `replay`
never imports vtracer's native extension or httpx.
"""

from importlib.metadata import version as _version

__version__ = _version("visioncode-models")
