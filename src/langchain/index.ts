// quiverdb/langchain: LangChain.js integration (needs @langchain/core as a peer dependency).
export { QuiverVectorStore, PAGE_CONTENT_KEY, type QuiverVectorStoreArgs, type QuiverStoreLike } from './vector-store.js';
